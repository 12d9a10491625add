#include "FacePlexAudioComponent.h"

#include "Core/ClientSession.h"
#include "Misc/ScopeLock.h"               // FScopeLock (Engine/Source/Runtime/Core/Public/Misc/ScopeLock.h)
#include "Sound/SoundWaveProcedural.h"    // USoundWaveProcedural (Engine/Classes/Sound/SoundWaveProcedural.h)
#include "UObject/UObjectGlobals.h"       // MakeUniqueObjectName

UFacePlexAudioComponent::UFacePlexAudioComponent(const FObjectInitializer& ObjectInitializer)
	: Super(ObjectInitializer)
{
	bAutoActivate = false;
}

void UFacePlexAudioComponent::StartStreaming(TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> InSession, int32 SampleRate)
{
	StopStreaming();
	Rate = SampleRate;
	// A fresh wave per stream, uniquely named inside this component (two FacePlex characters on
	// one actor each own their component, so names never clash). The previous wave stays bound
	// to OnUnderflow, which finds no session for it: nothing is unbound under the render thread.
	// MakeUniqueObjectName(UObject* Parent, const UClass* Class, FName BaseName) -- UObjectGlobals.h.
	USoundWaveProcedural* NewWave =
		NewObject<USoundWaveProcedural>(this, MakeUniqueObjectName(this, USoundWaveProcedural::StaticClass(), TEXT("FacePlexWave")));
	NewWave->SetSampleRate(SampleRate);  // USoundWave::SetSampleRate(uint32) -- Sound/SoundWave.h
	NewWave->NumChannels = 1;
	NewWave->Duration = INDEFINITELY_LOOPING_DURATION;
	NewWave->SoundGroup = SOUNDGROUP_Voice;
	NewWave->bLooping = false;
	NewWave->OnSoundWaveProceduralUnderflow.BindUObject(this, &UFacePlexAudioComponent::OnUnderflow);
	{
		FScopeLock Lock(&StreamLock);  // OnUnderflow compares InWave with Wave under this lock
		Wave = NewWave;
		Session = InSession;
	}
	SetSound(Wave);  // UAudioComponent::SetSound(USoundBase*) -- Components/AudioComponent.h
	Play();
}

void UFacePlexAudioComponent::StopStreaming()
{
	{
		// Waits for an OnUnderflow in progress (a few microseconds of timeline copy), then no
		// callback can reach the session any more.
		FScopeLock Lock(&StreamLock);
		Session.Reset();
	}
	if (Wave)
	{
		Stop();  // UAudioComponent::Stop(); the render thread stops pulling asynchronously
	}
}

void UFacePlexAudioComponent::OnUnderflow(USoundWaveProcedural* InWave, int32 SamplesRequired)
{
	// Audio render thread. The timeline is thread-safe; it gives silence where nothing is
	// buffered and never repeats what was already played.
	if (SamplesRequired <= 0)
	{
		return;
	}
	if (Scratch.Num() < SamplesRequired)
	{
		Scratch.SetNumUninitialized(SamplesRequired);
	}
	{
		FScopeLock Lock(&StreamLock);
		if (!Session || InWave != Wave)
		{
			return;  // stopped, or an old wave still draining: the mixer plays silence
		}
		Session->GetTimeline().ReadAudio(Scratch.GetData(), SamplesRequired);
	}
	// USoundWaveProcedural::QueueAudio(const uint8* AudioData, const int32 BufferSize)
	InWave->QueueAudio(reinterpret_cast<const uint8*>(Scratch.GetData()), SamplesRequired * sizeof(int16));
}

int64 UFacePlexAudioComponent::GetHeardSample() const
{
	FScopeLock Lock(&StreamLock);
	if (!Session || !Wave)
	{
		return 0;
	}
	const int64 Pulled = Session->GetTimeline().PlaybackSample();
	// USoundWaveProcedural::GetAvailableAudioByteCount(): bytes queued and not yet rendered
	const int64 Queued = Wave->GetAvailableAudioByteCount() / static_cast<int64>(sizeof(int16));
	const int64 Latency = static_cast<int64>(Rate) * OutputLatencyMs / 1000;
	return FMath::Max<int64>(0, Pulled - Queued - Latency);
}
