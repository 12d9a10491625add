"""FacePlex."""
