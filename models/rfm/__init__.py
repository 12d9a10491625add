"""FacePlex's Rolling Flow Matching (RFM) motion model: features, network, rolling sampler,
training, ONNX export, streaming animator (onnxruntime, no torch) and the evaluation's measures
(the evaluation itself, which runs the daemon's microphone path, is ``bridge/outputs/motion_eval.py``)."""
