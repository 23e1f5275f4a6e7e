"""Users (admin): every account, changing one (role, deactivate, password reset, unlock, delete), adding one.
The rules (not your own account, never the last admin) and the audit rows live in `ml.governance.users`."""
import streamlit as st

from dashboard import auth
from dashboard.views import keys as key_views
from dashboard.views import users as user_views

admin = auth.require("users")
st.title("Users")
user_views.flash()
rows = user_views.table()
user_views.manage(admin, rows)
user_views.add_form(admin)
key_views.everyone_s_keys(admin)
