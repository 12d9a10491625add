// Microphone capture for the preview page: runs on the audio thread, converts each 128-frame
// render quantum of the (mono) input to PCM16 and posts ~40 ms batches to the main thread, which
// sends them to the daemon as `mic` messages (PROTOCOL.md §11). No allocation per quantum beyond
// the batch buffer handed over (transferred, not copied).

class MicCapture extends AudioWorkletProcessor {
  constructor(options) {
    super();
    const batchMs = (options && options.processorOptions && options.processorOptions.batchMs) || 40;
    this.batch = Math.max(128, Math.round((sampleRate * batchMs) / 1000));
    this.buf = new Int16Array(this.batch);
    this.fill = 0;
  }

  process(inputs) {
    const input = inputs[0];
    if (input && input.length > 0) {
      const ch = input[0];
      for (let i = 0; i < ch.length; i++) {
        const x = Math.max(-1, Math.min(1, ch[i]));
        this.buf[this.fill++] = x < 0 ? x * 32768 : x * 32767;
        if (this.fill === this.batch) {
          this.port.postMessage(this.buf.buffer, [this.buf.buffer]);
          this.buf = new Int16Array(this.batch);
          this.fill = 0;
        }
      }
    }
    return true;
  }
}

registerProcessor("mic-capture", MicCapture);
