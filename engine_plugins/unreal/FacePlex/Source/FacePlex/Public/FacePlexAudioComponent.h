// Plays a FacePlex session's speech: a USoundWaveProcedural whose underflow callback pulls PCM
// from the session timeline (silence where none is buffered), and reports the sample being heard.
//
// Threads: OnSoundWaveProceduralUnderflow runs on the audio render thread
// (Engine/Source/Runtime/Engine/Classes/Sound/SoundWaveProcedural.h, FOnSoundWaveProceduralUnderflow,
// called from GeneratePCMData). StopStreaming therefore never unbinds the delegate nor resets the
// wave from the game thread while that thread may be inside it: it clears the session under
// StreamLock, which OnUnderflow holds while it reads the timeline, so after StopStreaming returns
// no callback touches the old session; a late callback finds no session and queues silence.
#pragma once

#include "CoreMinimal.h"
#include "Components/AudioComponent.h"
#include "HAL/CriticalSection.h"
#include "FacePlexAudioComponent.generated.h"

class USoundWaveProcedural;
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

	/** The timeline sample the listener hears now: what the mixer pulled, minus what is still
	 *  queued in the procedural wave, minus OutputLatencyMs. The face is driven from this. */
	int64 GetHeardSample() const;

	/** Audio device latency to subtract, in ms (set from the project settings at BeginPlay). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex")
	int32 OutputLatencyMs = 30;

private:
	/** Audio render thread: the wave needs `SamplesRequired` more samples. */
	void OnUnderflow(USoundWaveProcedural* InWave, int32 SamplesRequired);

	UPROPERTY(Transient)
	TObjectPtr<USoundWaveProcedural> Wave;

	/** Guards Session between the game thread (Start/Stop) and the audio render thread. */
	mutable FCriticalSection StreamLock;
	TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> Session;
	int32 Rate = 48000;
	TArray<int16> Scratch;  // audio render thread only
};
