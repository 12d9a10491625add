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
//
// Start on connect, resume after re-plug (FacePlexCore::MicSupervisor, tested in the core): the
// component has no BeginPlay order with its character (Unreal gives none between components of
// one actor), so it does not open the device at BeginPlay but on the first tick where the
// character's session is open -- and again after every reconnect. A device that cannot be opened
// is retried every 2 s; a stream whose callbacks stop for 1 s (unplugged) is closed and reopened,
// so listening resumes when the device comes back.
#pragma once

#include "CoreMinimal.h"
#include "Components/ActorComponent.h"
#include "Engine/EngineTypes.h"  // FComponentReference (UseComponentPicker)
#include "FacePlexMicrophoneComponent.generated.h"

class UFacePlexCharacterComponent;
namespace Audio { class FAudioCapture; }
namespace FacePlexCore { class MicSupervisor; }

UCLASS(ClassGroup = (FacePlex), meta = (BlueprintSpawnableComponent))
class FACEPLEX_API UFacePlexMicrophoneComponent : public UActorComponent
{
	GENERATED_BODY()

public:
	UFacePlexMicrophoneComponent();

	/** The character that listens (a picker of this actor's components); none: the first FacePlex
	 *  character component on this actor. */
	UPROPERTY(EditAnywhere, Category = "FacePlex|Microphone", meta = (DisplayName = "Character", UseComponentPicker, AllowedClasses = "/Script/FacePlex.FacePlexCharacterComponent"))
	FComponentReference CharacterReference;

	/** The character in use (resolved from Character, or found on the actor). */
	UPROPERTY(BlueprintReadWrite, Category = "FacePlex|Microphone")
	TObjectPtr<UFacePlexCharacterComponent> Character;

	/** Capture device: an index into GetInputDevices(), -1 = the system default. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Microphone")
	int32 DeviceIndex = -1;

	/** Ask the device for its built-in acoustic echo cancellation (see the note above). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Microphone")
	bool bUseHardwareAEC = true;

	/** Listen from the start of play (as soon as the character is connected). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Microphone")
	bool bListenOnBeginPlay = true;

	/** Names of the capture devices, in DeviceIndex order. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex|Microphone")
	TArray<FString> GetInputDevices();

	/** Listen: the device opens now if the character is connected, else when it connects; a
	 *  missing device is retried. Returns true when the device is open now. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex|Microphone")
	bool StartListening();

	UFUNCTION(BlueprintCallable, Category = "FacePlex|Microphone")
	void StopListening();

	/** Push-to-talk released: what was captured goes out, then `mic_end`; the daemon ends the
	 *  player's turn now (OnPartnerSpeechStopped, then the final OnPartnerTranscript) instead of
	 *  waiting for silence. Call StopListening after it if the key also mutes the microphone. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex|Microphone")
	void EndOfTurn();

	/** True while the device is open and capturing. */
	UFUNCTION(BlueprintPure, Category = "FacePlex|Microphone")
	bool IsListening() const;

protected:
	virtual void BeginPlay() override;
	virtual void EndPlay(const EEndPlayReason::Type Reason) override;
	virtual void TickComponent(float DeltaTime, ELevelTick TickType, FActorComponentTickFunction* ThisTickFunction) override;

private:
	UFacePlexCharacterComponent* ResolveCharacter();
	bool OpenDevice();
	void CloseDevice();

	bool bWanted = false;
	/** Shared, not unique: their deleters are made in the .cpp, where the types are complete. */
	TSharedPtr<Audio::FAudioCapture> Capture;
	TSharedPtr<FacePlexCore::MicSupervisor, ESPMode::ThreadSafe> Supervisor;
};
