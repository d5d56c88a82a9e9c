"""The throw-away site `fix502 demo` breaks and fixes: nginx in front of a small backend."""
