"""The book's ``common`` package: functions, gradient, layers, optimizers, trainer, nets."""
