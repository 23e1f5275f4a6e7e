"""Home: who is signed in, the active model, today's activity."""
from datetime import date, datetime, timedelta

import streamlit as st

from dashboard import auth, text
from dashboard.charts import common as charts
from dashboard.components import widgets
from dashboard.navigation import link
from data import predictions, registry
from ml.governance import policy
from ml.lab import handover

user = auth.require("home")
st.title(f"Welcome, {text.md(user.name)}")
st.caption(f"Signed in as {text.md(user.username)} · role **{user.role}**")

scope = None if policy.can(user.role, "history_all") else user.username
active = registry.active_id()
record = registry.get(active) if active is not None else None
today = datetime.combine(date.today(), datetime.min.time())

widgets.handover_notice()
cols = st.columns(3)
if record:
    cols[0].metric("Active model", f"#{record.id} · {record.family}", help=f"Trained on {text.md(record.dataset)}")
    cols[1].metric("Held-out accuracy", text.share(record.metrics.get("accuracy", 0)),
                   help=f"On {record.metrics.get('n_test', '?')} test images of {text.md(record.dataset)}")
else:
    preparing = handover.state() is not None
    cols[0].metric("Active model", "preparing…" if preparing else "none",
                   help="A quick first model is training; it answers in a minute or two." if preparing else None)
label = "Predictions today" if scope is None else "Your predictions today"
cols[2].metric(label, f"{predictions.count_since(today, scope):,}")

first_day = date.today() - timedelta(days=13)
per_day = predictions.per_day(first_day, scope)
if per_day.empty:
    st.info("No predictions in the last two weeks yet: open **Draw** or **Upload** to make one.")
else:
    st.plotly_chart(charts.predictions_per_day(per_day, first_day, date.today()), key="per_day_chart")

link("draw", "Draw a digit")
link("upload", "Upload an image")
