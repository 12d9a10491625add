// The player's microphone for a FacePlex character (full duplex, PROTOCOL.md §11): captures with
// Unreal's AudioCapture plugin (Audio::FAudioCapture, AudioCaptureCore.h) and hands every block to
// the character's session on the capture thread (ClientSession::SendMic: lock-free, never waits);
// the game thread sends it to the daemon as 40 ms `mic` messages. The daemon detects the player's
// speech, makes the face listen and lets the player interrupt (OnPartnerSpeechStarted/Stopped,
// OnInterrupted on the character component).
//
// Echo: the player hears the character through speakers, so the microphone also picks up the
// character's own voice. Run acoustic echo cancellation on it: bUseHardwareAEC asks the device
// for its built-in echo cancellation (FAudioCaptureDeviceParams::bUseHardwareAEC, where the
// platform offers it: FCaptureDeviceInfo::bSupportsHardwareAEC; Windows voice-capture devices,
// iOS voice processing), or use a headset / a platform voice-chat capture path. The daemon only
// adds a safeguard (it ignores mic audio quieter than its own recent output - 12 dB).
#pragma once

#include "CoreMinimal.h"
#include "Components/ActorComponent.h"
#include "FacePlexMicrophoneComponent.generated.h"

class UFacePlexCharacterComponent;
namespace Audio { class FAudioCapture; }

UCLASS(ClassGroup = (FacePlex), meta = (BlueprintSpawnableComponent))
class FACEPLEX_API UFacePlexMicrophoneComponent : public UActorComponent
{
	GENERATED_BODY()

public:
	UFacePlexMicrophoneComponent();

	/** The character that listens (empty: the first FacePlex character component on this actor). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Microphone")
	TObjectPtr<UFacePlexCharacterComponent> Character;

	/** Capture device: an index into GetInputDevices(), -1 = the system default. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Microphone")
	int32 DeviceIndex = -1;

	/** Ask the device for its built-in acoustic echo cancellation (see the note above). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Microphone")
	bool bUseHardwareAEC = true;

	/** Start capturing when play begins. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Microphone")
	bool bListenOnBeginPlay = true;

	/** Names of the capture devices, in DeviceIndex order. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex|Microphone")
	TArray<FString> GetInputDevices();

	/** Open the device and stream it to the character; false when no device could be opened. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex|Microphone")
	bool StartListening();

	UFUNCTION(BlueprintCallable, Category = "FacePlex|Microphone")
	void StopListening();

	UFUNCTION(BlueprintPure, Category = "FacePlex|Microphone")
	bool IsListening() const;

protected:
	virtual void BeginPlay() override;
	virtual void EndPlay(const EEndPlayReason::Type Reason) override;

private:
	/** Shared, not unique: its deleter is made in the .cpp, where Audio::FAudioCapture is complete. */
	TSharedPtr<Audio::FAudioCapture> Capture;
};
