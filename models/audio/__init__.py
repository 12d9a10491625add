"""Audio analysis: voice activity (Silero VAD through onnxruntime)."""
