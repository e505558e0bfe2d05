"""Text helpers shared by stages: Unicode cleaning, language identification, meta flags."""
