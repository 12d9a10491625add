#include "FacePlexMicrophoneComponent.h"

// Audio::FAudioCapture, FAudioCaptureDeviceParams, FOnAudioCaptureFunction, FCaptureDeviceInfo:
// Engine/Source/Runtime/AudioCaptureCore/Public/AudioCaptureCore.h and AudioCaptureDeviceInterface.h
// (UE 5.3+: OpenAudioCaptureStream / FOnAudioCaptureFunction; FacePlex.uplugin and README say 5.3+).
#include "AudioCaptureCore.h"
#include "AudioCaptureDeviceInterface.h"
#include "Core/ClientSession.h"
#include "Core/MicSupervisor.h"
#include "FacePlexCharacterComponent.h"
#include "GameFramework/Actor.h"

namespace
{
/** float32 -> PCM16 without allocating: the capture callback converts in fixed blocks. */
constexpr int32 kBlockSamples = 4096;
int64 NowUs() { return static_cast<int64>(FPlatformTime::Seconds() * 1e6); }
}

UFacePlexMicrophoneComponent::UFacePlexMicrophoneComponent()
{
	PrimaryComponentTick.bCanEverTick = true;  // the supervisor decides on each tick
	Supervisor = MakeShared<FacePlexCore::MicSupervisor, ESPMode::ThreadSafe>();
}

void UFacePlexMicrophoneComponent::BeginPlay()
{
	Super::BeginPlay();
	bWanted = bListenOnBeginPlay;  // opened on the first tick where the character is connected
}

void UFacePlexMicrophoneComponent::EndPlay(const EEndPlayReason::Type Reason)
{
	StopListening();
	Super::EndPlay(Reason);
}

UFacePlexCharacterComponent* UFacePlexMicrophoneComponent::ResolveCharacter()
{
	if (!Character && GetOwner())
	{
		// UActorComponent* FComponentReference::GetComponent(AActor* OwningActor) const (Engine/EngineTypes.h)
		Character = Cast<UFacePlexCharacterComponent>(CharacterReference.GetComponent(GetOwner()));
		if (!Character)
		{
			Character = GetOwner()->FindComponentByClass<UFacePlexCharacterComponent>();
		}
	}
	return Character;
}

TArray<FString> UFacePlexMicrophoneComponent::GetInputDevices()
{
	TArray<FString> Names;
	Audio::FAudioCapture Probe;
	TArray<Audio::FCaptureDeviceInfo> Devices;
	Probe.GetCaptureDevicesAvailable(Devices);  // int32 GetCaptureDevicesAvailable(TArray<FCaptureDeviceInfo>&)
	for (const Audio::FCaptureDeviceInfo& D : Devices)
	{
		Names.Add(D.DeviceName);
	}
	return Names;
}

bool UFacePlexMicrophoneComponent::StartListening()
{
	bWanted = true;
	UFacePlexCharacterComponent* C = ResolveCharacter();
	if (!C)
	{
		UE_LOG(LogTemp, Warning, TEXT("FacePlex: the microphone needs a FacePlex character component (none found)"));
		return false;
	}
	if (!C->IsConnected())
	{
		return false;  // opened when the character connects (TickComponent)
	}
	CloseDevice();
	const bool bOk = OpenDevice();
	Supervisor->OpenResult(NowUs(), bOk);
	return bOk;
}

void UFacePlexMicrophoneComponent::StopListening()
{
	bWanted = false;
	CloseDevice();
}

void UFacePlexMicrophoneComponent::EndOfTurn()
{
	UFacePlexCharacterComponent* C = ResolveCharacter();
	TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> Session = C ? C->GetSession() : nullptr;
	if (Session && C->IsConnected())
	{
		// ClientSession::SendMicEnd(): the ring's rest as `mic`, then `mic_end` (PROTOCOL.md §11);
		// the character's next tick sends them (its Flush).
		Session->SendMicEnd();
	}
}

bool UFacePlexMicrophoneComponent::IsListening() const
{
	return Capture && Capture->IsCapturing();  // bool FAudioCapture::IsCapturing() const
}

void UFacePlexMicrophoneComponent::TickComponent(float DeltaTime, ELevelTick TickType, FActorComponentTickFunction* ThisTickFunction)
{
	Super::TickComponent(DeltaTime, TickType, ThisTickFunction);
	UFacePlexCharacterComponent* C = ResolveCharacter();
	const bool bSessionOpen = C && C->IsConnected();
	// bool FAudioCapture::IsStreamOpen() const (AudioCaptureCore.h)
	const bool bStreamOpen = Capture && Capture->IsStreamOpen();
	switch (Supervisor->Tick(NowUs(), bWanted, bSessionOpen, bStreamOpen))
	{
	case FacePlexCore::MicSupervisor::Action::Open:
	case FacePlexCore::MicSupervisor::Action::Reopen:
	{
		CloseDevice();
		const bool bOk = OpenDevice();
		Supervisor->OpenResult(NowUs(), bOk);
		if (!bOk && Supervisor->Failures() == 1)
		{
			UE_LOG(LogTemp, Warning, TEXT("FacePlex: cannot open capture device %d (retrying every 2 s)"), DeviceIndex);
		}
		break;
	}
	case FacePlexCore::MicSupervisor::Action::Close: CloseDevice(); break;
	case FacePlexCore::MicSupervisor::Action::None: break;
	}
}

bool UFacePlexMicrophoneComponent::OpenDevice()
{
	UFacePlexCharacterComponent* C = ResolveCharacter();
	TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> Session = C ? C->GetSession() : nullptr;
	if (!Session)
	{
		return false;
	}
	Audio::FAudioCaptureDeviceParams Params;
	Params.bUseHardwareAEC = bUseHardwareAEC;
	Params.DeviceIndex = DeviceIndex < 0 ? Audio::DefaultDeviceIndex : DeviceIndex;
	Params.PCMAudioEncoding = Audio::EPCMAudioEncoding::FLOATING_POINT_32;  // what every backend delivers
	// The device's own rate and channel count; the daemon downmixes and resamples (soxr).
	Params.SampleRate = Audio::InvalidDeviceSampleRate;
	Params.NumInputChannels = Audio::InvalidDeviceChannelCount;

	// Capture thread: convert and hand to the session's lock-free ring; never blocks or allocates.
	// The lambda owns references to the session and the supervisor, not to this component.
	TSharedPtr<FacePlexCore::MicSupervisor, ESPMode::ThreadSafe> Sup = Supervisor;
	Audio::FOnAudioCaptureFunction OnCapture = [Session, Sup](const void* InAudio, int32 NumFrames, int32 NumChannels,
	                                                          int32 SampleRate, double /*StreamTime*/, bool /*bOverflow*/) {
		const float* In = static_cast<const float*>(InAudio);
		int16 Block[kBlockSamples];
		const int32 FramesPerBlock = FMath::Max(1, kBlockSamples / FMath::Max(1, NumChannels));
		for (int32 Frame = 0; Frame < NumFrames; Frame += FramesPerBlock)
		{
			const int32 N = FMath::Min(FramesPerBlock, NumFrames - Frame);
			const float* Src = In + static_cast<int64>(Frame) * NumChannels;
			for (int32 i = 0; i < N * NumChannels; ++i)
			{
				Block[i] = static_cast<int16>(FMath::Clamp(Src[i], -1.0f, 1.0f) * 32767.0f);
			}
			Session->SendMic(Block, static_cast<size_t>(N), SampleRate, NumChannels);
		}
		Sup->NoteCaptured(static_cast<uint64>(FMath::Max(0, NumFrames)));  // lock-free: the device is alive
	};
	Capture = MakeShared<Audio::FAudioCapture>();
	// bool OpenAudioCaptureStream(const FAudioCaptureDeviceParams&, FOnAudioCaptureFunction, uint32 NumFramesDesired)
	if (!Capture->OpenAudioCaptureStream(Params, MoveTemp(OnCapture), 480) || !Capture->StartStream())
	{
		Capture->CloseStream();
		Capture.Reset();
		return false;
	}
	return true;
}

void UFacePlexMicrophoneComponent::CloseDevice()
{
	if (Capture)
	{
		Capture->StopStream();   // bool FAudioCapture::StopStream(); no callback runs after
		Capture->CloseStream();  // StopStream/CloseStream return
		Capture.Reset();
	}
}
