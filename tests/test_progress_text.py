"""The training job's progress names both the images and the augmented copies being fitted."""
from ml.lab.requests import TrainRequest
from ml.lab.training import train_job


class Recorder:
    def __init__(self):
        self.messages: list[str] = []

    def progress(self, stage, fraction, message="", **_):
        self.messages.append(message)

    def check_cancelled(self):
        pass


def test_progress_says_images_and_augmented_copies(seeded_store):
    ctx = Recorder()
    request = TrainRequest(family="knn", dataset="digits", trained_by="ana", params={}, seed=0, test_size=0.2,
                           val_size=0.0, activate=False, augment=2, deskew=False)
    train_job(request, ctx)
    fitting = [m for m in ctx.messages if m.startswith("fitting")]
    assert fitting and all("1,797 images; fitting 1,437 training images + 2,874 augmented copies" in m
                           for m in fitting)
