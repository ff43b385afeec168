"""Colab's `drive.mount`, as the book uses it: afterwards `<mountpoint>/MyDrive` is a writable
folder. Here it is a local one (the test points the mount point at a temporary folder)."""

from pathlib import Path


def mount(mountpoint: str, force_remount: bool = False, timeout_ms: int = 120000, readonly: bool = False) -> None:
    Path(mountpoint, "MyDrive").mkdir(parents=True, exist_ok=True)
    print(f"Mounted at {mountpoint}")
