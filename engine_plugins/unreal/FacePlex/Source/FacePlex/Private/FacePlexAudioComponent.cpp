#include "FacePlexAudioComponent.h"

#include "AudioDevice.h"                  // FAudioDevice::GetBufferLength/GetNumBuffers/GetSampleRate (Engine/Public/AudioDevice.h)
#include "Core/ClientSession.h"
#include "HAL/CriticalSection.h"
#include "Misc/ScopeLock.h"               // FScopeLock (Engine/Source/Runtime/Core/Public/Misc/ScopeLock.h)
#include "Sound/SoundWaveProcedural.h"    // USoundWaveProcedural (Engine/Classes/Sound/SoundWaveProcedural.h)
#include "UObject/UObjectGlobals.h"       // MakeUniqueObjectName

/** What the audio render thread needs, owned jointly by the component and the wave's delegate. */
struct FFacePlexStream
{
	FCriticalSection Lock;  // guards Session between the game thread and the render thread
	TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> Session;
	TArray<int16> Scratch;  // render thread only

	/** Audio render thread: the wave needs `SamplesRequired` more samples. */
	void OnUnderflow(USoundWaveProcedural* InWave, int32 SamplesRequired)
	{
		if (!InWave || SamplesRequired <= 0)
		{
			return;
		}
		if (Scratch.Num() < SamplesRequired)
		{
			Scratch.SetNumUninitialized(SamplesRequired);
		}
		bool bHaveSession = false;
		{
			FScopeLock ScopeLock(&Lock);
			if (Session)
			{
				// Thread-safe timeline: silence where nothing is buffered, never a repeat.
				Session->GetTimeline().ReadAudio(Scratch.GetData(), static_cast<size_t>(SamplesRequired));
				bHaveSession = true;
			}
		}
		if (!bHaveSession)
		{
			FMemory::Memzero(Scratch.GetData(), SamplesRequired * sizeof(int16));  // HAL/UnrealMemory.h
		}
		// void USoundWaveProcedural::QueueAudio(const uint8* AudioData, const int32 BufferSize)
		InWave->QueueAudio(reinterpret_cast<const uint8*>(Scratch.GetData()), SamplesRequired * sizeof(int16));
	}
};

UFacePlexAudioComponent::UFacePlexAudioComponent(const FObjectInitializer& ObjectInitializer)
	: Super(ObjectInitializer)
{
	bAutoActivate = false;
}

void UFacePlexAudioComponent::StartStreaming(TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> InSession, int32 SampleRate)
{
	StopStreaming();
	Rate = SampleRate;
	// A fresh wave and stream per connection. The previous wave keeps its own (now empty) stream:
	// nothing is unbound while the render thread may be inside the callback.
	// MakeUniqueObjectName(UObject* Parent, const UClass* Class, FName BaseName) -- UObjectGlobals.h.
	USoundWaveProcedural* NewWave =
		NewObject<USoundWaveProcedural>(this, MakeUniqueObjectName(this, USoundWaveProcedural::StaticClass(), TEXT("FacePlexWave")));
	NewWave->SetSampleRate(SampleRate);  // USoundWave::SetSampleRate(uint32) -- Sound/SoundWave.h
	NewWave->NumChannels = 1;
	NewWave->Duration = INDEFINITELY_LOOPING_DURATION;
	NewWave->SoundGroup = SOUNDGROUP_Voice;
	NewWave->bLooping = false;
	TSharedRef<FFacePlexStream, ESPMode::ThreadSafe> NewStream = MakeShared<FFacePlexStream, ESPMode::ThreadSafe>();
	NewStream->Session = InSession;
	// FOnSoundWaveProceduralUnderflow is DECLARE_DELEGATE_TwoParams(..., USoundWaveProcedural*, int32)
	// (SoundWaveProcedural.h); TDelegate::BindLambda (Core/Public/Delegates/DelegateSignatureImpl.inl).
	// The lambda owns a reference to the stream, not to this component.
	NewWave->OnSoundWaveProceduralUnderflow.BindLambda(
		[NewStream](USoundWaveProcedural* InWave, int32 SamplesRequired) { NewStream->OnUnderflow(InWave, SamplesRequired); });
	Wave = NewWave;
	Stream = NewStream;
	SetSound(Wave);  // UAudioComponent::SetSound(USoundBase*) -- Components/AudioComponent.h
	Play();          // UAudioComponent::Play(float StartTime = 0.f)
}

void UFacePlexAudioComponent::StopStreaming()
{
	if (Stream)
	{
		// Waits for an underflow callback in progress (a few microseconds of timeline copy); after
		// this no callback can reach the session.
		FScopeLock ScopeLock(&Stream->Lock);
		Stream->Session.Reset();
	}
	Stream.Reset();
	if (Wave)
	{
		Stop();  // UAudioComponent::Stop(); the render thread stops pulling asynchronously
	}
}

float UFacePlexAudioComponent::GetOutputLatencyMs() const
{
	if (OutputLatencyMs >= 0)
	{
		return static_cast<float>(OutputLatencyMs);
	}
	// FAudioDevice* UAudioComponent::GetAudioDevice() const (Components/AudioComponent.h).
	// FAudioDevice::GetBufferLength() = PlatformSettings.CallbackBufferFrameSize, GetNumBuffers() =
	// PlatformSettings.NumBuffers ("the number of buffers the audio device keeps queued"),
	// GetSampleRate() in Hz (Engine/Public/AudioDevice.h).
	if (const FAudioDevice* Device = GetAudioDevice())
	{
		const float DeviceRate = Device->GetSampleRate();
		if (DeviceRate > 0.0f)
		{
			return 1000.0f * static_cast<float>(Device->GetBufferLength() * Device->GetNumBuffers()) / DeviceRate;
		}
	}
	return 30.0f;  // no device (e.g. a dedicated server or -nosound): a typical desktop figure
}

int64 UFacePlexAudioComponent::GetOutputDelaySamples() const
{
	if (!Wave)
	{
		return 0;
	}
	// int32 USoundWaveProcedural::GetAvailableAudioByteCount(): bytes queued, not yet rendered.
	const int64 Queued = Wave->GetAvailableAudioByteCount() / static_cast<int64>(sizeof(int16));
	const int64 Latency = static_cast<int64>(static_cast<double>(Rate) * GetOutputLatencyMs() / 1000.0);
	return Queued + Latency;
}
