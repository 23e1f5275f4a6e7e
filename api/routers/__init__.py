"""One APIRouter per noun; each route checks its capability through `api.auth` and calls `ml`."""
