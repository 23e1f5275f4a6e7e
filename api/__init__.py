"""Digit Lab's HTTP interface over `ml`: routers (one per noun), request and response schemas, key
authentication, the error shape, Prometheus metrics and the probes. `server_routes()` is what the
server (`api.asgi`) mounts beside Streamlit's own routes."""
from api.app import create_api, server_routes

__all__ = ["create_api", "server_routes"]
