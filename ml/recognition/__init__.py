"""The canonical form of ink, image conventions, preprocessing and their exact fast paths."""
