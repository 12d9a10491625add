// Plays a FacePlex session's speech: a USoundWaveProcedural whose underflow callback pulls PCM
// from the session timeline (silence where none is buffered; the timeline holds its position on
// an underrun inside an utterance), and tells the session how much output is still between the
// timeline and the listener's ear, so the face, word events and playback reports use the heard
// sample (FacePlexCore::ClientSession::SetOutputDelaySamples / HeardSample).
//
// Threads: OnSoundWaveProceduralUnderflow runs on the audio render thread
// (Engine/Classes/Sound/SoundWaveProcedural.h: GeneratePCMData checks IsBound() then calls
// Execute(this, SamplesToGenerate)). The callback is bound to a FFacePlexStream held in a
// thread-safe shared pointer that the delegate itself owns (BindLambda capturing a TSharedRef),
// never to this component: the render thread can be inside the callback while the component is
// being destroyed, and the stream it touches stays alive until the wave (and its delegate) goes.
// StopStreaming clears the stream's session under the stream's lock, so after it returns no
// callback reaches the old session; a late callback queues silence.
//
// Pause: a UAudioComponent whose bIsUISound is false (the default; Components/AudioComponent.h:
// "Whether or not this sound plays when the game is paused in the UI") is paused with the game, so
// the render thread stops pulling and the timeline holds its position: audio and face (the
// character component does not tick while paused) stay together and resume without a burst.
#pragma once

#include "CoreMinimal.h"
#include "Components/AudioComponent.h"
#include "FacePlexAudioComponent.generated.h"

class USoundWaveProcedural;
struct FFacePlexStream;
namespace FacePlexCore { class ClientSession; }

UCLASS(ClassGroup = (FacePlex), meta = (BlueprintSpawnableComponent))
class FACEPLEX_API UFacePlexAudioComponent : public UAudioComponent
{
	GENERATED_BODY()

public:
	UFacePlexAudioComponent(const FObjectInitializer& ObjectInitializer);

	/** Start streaming `Session`'s timeline: mono PCM16 at `SampleRate` Hz. */
	void StartStreaming(TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> Session, int32 SampleRate);
	void StopStreaming();

	/** Samples (at the session rate) handed to the engine and not yet heard: what the procedural
	 *  wave still queues plus the output latency (OutputLatencyMs, or the audio device's buffers). */
	int64 GetOutputDelaySamples() const;

	/** The output latency used, in ms: OutputLatencyMs when >= 0, else the audio device's
	 *  callback buffer length x number of buffers / its sample rate. */
	UFUNCTION(BlueprintPure, Category = "FacePlex")
	float GetOutputLatencyMs() const;

	/** Output latency in ms; -1 (default) = from the audio device. Set it when the device hides
	 *  latency the engine cannot see (Bluetooth headsets: 100-200 ms). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex", meta = (ClampMin = "-1", ClampMax = "1000"))
	int32 OutputLatencyMs = -1;

private:
	UPROPERTY(Transient)
	TObjectPtr<USoundWaveProcedural> Wave;

	/** The stream the current wave's callback pulls from (shared with that callback). */
	TSharedPtr<FFacePlexStream, ESPMode::ThreadSafe> Stream;
	int32 Rate = 48000;
};
