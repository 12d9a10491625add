"""FacePlex's Rolling Flow Matching (RFM) motion model: features, network, rolling sampler,
training, ONNX export, streaming animator (onnxruntime, no torch) and evaluation."""
