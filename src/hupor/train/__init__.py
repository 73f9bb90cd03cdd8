"""Training: experiment configs, datasets glue, Lightning modules, samplers, checkpoints."""
