"""Media probing and rendering (PyAV, Pillow): pure functions, filled by the processing pipeline."""
