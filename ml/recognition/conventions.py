"""Image conventions: how a dataset's images were made, so any input can be mapped into them.

A model is only as good as the match between what it was trained on and what it is shown.
The convention travels with every model (stored as JSON in the registry), and
`ml.recognition.preprocess` reads nothing else.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, fields


@dataclass(frozen=True)
class ImageConvention:
    name: str
    size: int          # model input side (8 for load_digits, 28 for MNIST)
    max_value: float   # intensity of full ink in the model input
    box: int           # side of the box the ink is scaled into before padding/counting
    keep_aspect: bool  # scale preserving aspect ratio (both datasets do)
    center: str        # "bbox": centre the bounding box; "mass": centre of mass at the middle
    fill: str          # "height": ink height fills the box (optdigits); "longest": the longer side does (MNIST)
    block: int         # >1: binarise in a size*block bitmap and count on-pixels per block (optdigits 4x4)
    deskew: bool = False  # the model pipeline straightens slanted ink first (see ml.models.deskew)
    form: str = "dataset"  # "dataset": look like that dataset's images; "canonical": ml.recognition.canonical's one form

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ImageConvention:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in data.items() if k in known})


# UCI optdigits / sklearn load_digits: 32x32 normalised bitmaps, on-pixels counted in 4x4 blocks
# (0..16). Measured on load_digits: every digit spans all 8 rows; widths vary (a "1" is 3-5
# columns wide), so the height fills the box and the aspect ratio is kept.
DIGITS_8X8 = ImageConvention(name="digits8", size=8, max_value=16.0, box=32, keep_aspect=True,
                             center="bbox", fill="height", block=4)

# MNIST: the digit's longer side fits a 20x20 box (aspect kept, anti-aliased grey levels),
# placed in 28x28 with its centre of mass at the centre; intensities 0..255. Deskewing is on:
# measured on 5,000 MNIST training images, SVC on the 10,000 test images goes from 95.8% to 97.6%.
# On the 8x8 block counts of load_digits it costs (SVC 99.17% -> 98.61%): off there.
MNIST_28X28 = ImageConvention(name="mnist28", size=28, max_value=255.0, box=20, keep_aspect=True,
                              center="mass", fill="longest", block=1, deskew=True)

# One canonical form for every source and every input (ml.recognition.canonical): cropped, deslanted, strokes
# thinned and redrawn with one pen, longer side in a 20 px box, mass centred in 28x28, ink 0..1.
# Training data from every source is rendered into it the same way uploads are (ml.datasets.handwriting).
CANON_28 = ImageConvention(name="canon28", size=28, max_value=1.0, box=20, keep_aspect=True,
                           center="mass", fill="longest", block=1, deskew=False, form="canonical")

CONVENTIONS = {c.name: c for c in (DIGITS_8X8, MNIST_28X28, CANON_28)}

# What a person reads for each convention: the names above are identifiers, never shown in a sentence.
TITLES = {DIGITS_8X8.name: "the 8×8 block counts of the embedded digits",
          MNIST_28X28.name: "MNIST's 28×28 form",
          CANON_28.name: "the 28×28 canonical form"}


def title(conv: ImageConvention | dict) -> str:
    """A convention (or its stored dict) as words, e.g. "the 28×28 canonical form"."""
    name, size = (conv["name"], conv["size"]) if isinstance(conv, dict) else (conv.name, conv.size)
    return TITLES.get(name, f"{size}×{size} images")
