#include "FacePlexMicrophoneComponent.h"

// Audio::FAudioCapture, FAudioCaptureDeviceParams, FOnAudioCaptureFunction, FCaptureDeviceInfo:
// Engine/Plugins/Runtime/AudioCapture/Source/AudioCaptureCore/Public/AudioCaptureCore.h and
// AudioCaptureDeviceInterface.h.
#include "AudioCaptureCore.h"
#include "AudioCaptureDeviceInterface.h"
#include "Core/ClientSession.h"
#include "FacePlexCharacterComponent.h"
#include "GameFramework/Actor.h"

namespace
{
/** float32 -> PCM16 without allocating: the capture callback converts in fixed blocks. */
constexpr int32 kBlockSamples = 4096;
}

UFacePlexMicrophoneComponent::UFacePlexMicrophoneComponent()
{
	PrimaryComponentTick.bCanEverTick = false;
}

void UFacePlexMicrophoneComponent::BeginPlay()
{
	Super::BeginPlay();
	if (bListenOnBeginPlay)
	{
		StartListening();
	}
}

void UFacePlexMicrophoneComponent::EndPlay(const EEndPlayReason::Type Reason)
{
	StopListening();
	Super::EndPlay(Reason);
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
	StopListening();
	if (!Character && GetOwner())
	{
		Character = GetOwner()->FindComponentByClass<UFacePlexCharacterComponent>();
	}
	TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> Session = Character ? Character->GetSession() : nullptr;
	if (!Session)
	{
		UE_LOG(LogTemp, Warning, TEXT("FacePlex: the microphone needs a FacePlex character component (none found)"));
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
	// The lambda owns a reference to the session, which lives as long as the character's.
	Audio::FOnAudioCaptureFunction OnCapture = [Session](const void* InAudio, int32 NumFrames, int32 NumChannels,
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
	};
	Capture = MakeShared<Audio::FAudioCapture>();
	// bool OpenAudioCaptureStream(const FAudioCaptureDeviceParams&, FOnAudioCaptureFunction, uint32 NumFramesDesired)
	if (!Capture->OpenAudioCaptureStream(Params, MoveTemp(OnCapture), 480) || !Capture->StartStream())
	{
		UE_LOG(LogTemp, Warning, TEXT("FacePlex: cannot open capture device %d"), DeviceIndex);
		Capture.Reset();
		return false;
	}
	return true;
}

void UFacePlexMicrophoneComponent::StopListening()
{
	if (Capture)
	{
		Capture->StopStream();   // no callback runs after StopStream/CloseStream return
		Capture->CloseStream();
		Capture.Reset();
	}
}

bool UFacePlexMicrophoneComponent::IsListening() const
{
	return Capture && Capture->IsCapturing();
}
