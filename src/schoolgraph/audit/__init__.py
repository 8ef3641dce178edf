"""The audit log of schoolgraph's own traffic: recording, storage and the figures read off it."""
