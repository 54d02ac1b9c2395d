"""What every study stands on: data, models, training, the model cache, jobs and run options.

No matplotlib here; nothing above this layer is imported.
"""
