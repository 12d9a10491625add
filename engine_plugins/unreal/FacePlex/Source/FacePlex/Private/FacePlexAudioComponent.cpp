#include "FacePlexAudioComponent.h"

#include "Core/ClientSession.h"
#include "Sound/SoundWaveProcedural.h"

UFacePlexAudioComponent::UFacePlexAudioComponent(const FObjectInitializer& ObjectInitializer)
	: Super(ObjectInitializer)
{
	bAutoActivate = false;
}

void UFacePlexAudioComponent::StartStreaming(TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> InSession, int32 SampleRate)
{
	StopStreaming();
	Session = InSession;
	Rate = SampleRate;
	Wave = NewObject<USoundWaveProcedural>(this);
	Wave->SetSampleRate(SampleRate);
	Wave->NumChannels = 1;
	Wave->Duration = INDEFINITELY_LOOPING_DURATION;
	Wave->SoundGroup = SOUNDGROUP_Voice;
	Wave->bLooping = false;
	Wave->OnSoundWaveProceduralUnderflow.BindUObject(this, &UFacePlexAudioComponent::OnUnderflow);
	SetSound(Wave);
	Play();
}

void UFacePlexAudioComponent::StopStreaming()
{
	if (Wave)
	{
		Stop();
		Wave->OnSoundWaveProceduralUnderflow.Unbind();
		Wave->ResetAudio();
		Wave = nullptr;
	}
	Session.Reset();
}

void UFacePlexAudioComponent::OnUnderflow(USoundWaveProcedural* InWave, int32 SamplesRequired)
{
	// Audio render thread. The timeline is thread-safe; it gives silence where nothing is
	// buffered and never repeats what was already played.
	TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> S = Session;
	if (!S || SamplesRequired <= 0)
	{
		return;
	}
	if (Scratch.Num() < SamplesRequired)
	{
		Scratch.SetNumUninitialized(SamplesRequired);
	}
	S->GetTimeline().ReadAudio(Scratch.GetData(), SamplesRequired);
	InWave->QueueAudio(reinterpret_cast<const uint8*>(Scratch.GetData()), SamplesRequired * sizeof(int16));
}

int64 UFacePlexAudioComponent::GetHeardSample() const
{
	if (!Session || !Wave)
	{
		return 0;
	}
	const int64 Pulled = Session->GetTimeline().PlaybackSample();
	const int64 Queued = Wave->GetAvailableAudioByteCount() / static_cast<int64>(sizeof(int16));
	const int64 Latency = static_cast<int64>(Rate) * OutputLatencyMs / 1000;
	return FMath::Max<int64>(0, Pulled - Queued - Latency);
}
