"""The local dashboard (``narcosim serve``): FastAPI app, pages and the job runner."""
