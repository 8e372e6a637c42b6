#!/bin/sh
# SageMaker runs the image with the argument "train"; anything else is a mistake worth a clear message.
set -eu
if [ "${1:-train}" != "train" ]; then
  echo "usage: train (the SageMaker training convention); got: $*" >&2
  exit 2
fi
exec node /app/trainer.js
