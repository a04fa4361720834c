"""The torch training engine shared by the neural synthesizers.

A model family supplies a :class:`~skltab._nn._loop.TrainingTask` (its batches and the loss of
each row); :func:`~skltab._nn._loop.train` runs the epochs: AdamW steps whose state the caller
keeps across calls, row weights with one meaning over a whole call, a learning-rate schedule,
gradient clipping, a guard against non-finite losses, and callbacks (weight average,
validation loss, early stopping, progress) that fill the history.

Nothing here imports torch at module level.
"""
