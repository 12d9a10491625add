// Add to a character: one FacePlex session (WebSocket to the daemon), its speech played by a
// UFacePlexAudioComponent, its face published as Live Link subject `LiveLinkSubject` with
// Unreal's ARKit curve names (EyeBlinkLeft, JawOpen, ...) for a MetaHuman face AnimBP.
#pragma once

#include "CoreMinimal.h"
#include <vector>
#include "Components/ActorComponent.h"
#include "FacePlexCharacterComponent.generated.h"

class IWebSocket;
class UFacePlexAudioComponent;
namespace FacePlexCore { class ClientSession; }

DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FFacePlexUtteranceEvent, const FString&, UtteranceId);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FFacePlexCancelledEvent, const FString&, UtteranceId, const FString&, Reason);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_ThreeParams(FFacePlexWordEvent, const FString&, UtteranceId, const FString&, Word, float, DurationSeconds);
DECLARE_DYNAMIC_MULTICAST_DELEGATE(FFacePlexConnectionEvent);

UCLASS(ClassGroup = (FacePlex), meta = (BlueprintSpawnableComponent))
class FACEPLEX_API UFacePlexCharacterComponent : public UActorComponent
{
	GENERATED_BODY()

public:
	UFacePlexCharacterComponent();

	/** Live Link subject to bind in the face AnimBP (Live Link Pose node). Unique per character. */
	UPROPERTY(EditAnywhere, BlueprintReadOnly, Category = "FacePlex")
	FName LiveLinkSubject = TEXT("FacePlex");

	/** Voice for Say (empty: the daemon's default). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex")
	FString Voice;

	/** Audio component to play through; created on the owner at BeginPlay when not set. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex")
	TObjectPtr<UFacePlexAudioComponent> AudioComponent;

	/** Speak `Text`; returns the utterance id used by the events. Queued behind the current one. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	FString Say(const FString& Text);

	/** Stop one utterance at once (its queued audio is dropped); an empty id stops all of them. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	void Cancel(const FString& UtteranceId);

	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	void CancelAll() { Cancel(FString()); }

	UFUNCTION(BlueprintPure, Category = "FacePlex")
	bool IsConnected() const;

	/** True while any utterance is queued or playing. */
	UFUNCTION(BlueprintPure, Category = "FacePlex")
	bool IsSpeaking() const;

	/** Fired when the utterance's first sample is heard. */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexUtteranceEvent OnUtteranceStarted;

	/** Fired when its last sample has been heard. */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexUtteranceEvent OnUtteranceFinished;

	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexCancelledEvent OnUtteranceCancelled;

	/** Fired as each word starts being heard. */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexWordEvent OnWord;

	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexConnectionEvent OnConnected;

	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexConnectionEvent OnDisconnected;

protected:
	virtual void BeginPlay() override;
	virtual void EndPlay(const EEndPlayReason::Type Reason) override;
	virtual void TickComponent(float DeltaTime, ELevelTick TickType, FActorComponentTickFunction* ThisTickFunction) override;

private:
	void Connect(const FString& Url);
	void Disconnect();
	void OnSocketMessage(const void* Data, SIZE_T Size, SIZE_T BytesRemaining);
	void Flush();
	void DispatchEvents();
	void PublishFace();

	TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> Session;
	TSharedPtr<IWebSocket> Socket;
	TArray<uint8> Partial;               // a message arriving in fragments
	TArray<TPair<FString, FString>> PendingSays;  // (utt, text) said before the session opened
	std::vector<int> LiveLinkMap;        // Live Link curve -> wire channel (-1: none)
	TArray<float> WireValues;
	TArray<float> LiveLinkValues;
	FDelegateHandle DaemonReadyHandle;
	int32 NextUtterance = 0;
	bool bWasOpen = false;
};
