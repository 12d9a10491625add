// Add to a character: one FacePlex session (WebSocket to the daemon), its speech played by a
// UFacePlexAudioComponent, its face published as Live Link subject `LiveLinkSubject` with
// Unreal's ARKit curve names (EyeBlinkLeft, JawOpen, ...) for a MetaHuman face AnimBP.
// Full duplex: add a UFacePlexMicrophoneComponent and bind OnPartnerSpeechStarted/Stopped and
// OnInterrupted; LipSyncSoundWave animates recorded dialogue on the same timeline.
#pragma once

#include "CoreMinimal.h"
#include <vector>
#include "Components/ActorComponent.h"
#include "FacePlexCharacterComponent.generated.h"

class IWebSocket;
class UFacePlexAudioComponent;
class USoundWave;
namespace FacePlexCore { class ClientSession; }

DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FFacePlexUtteranceEvent, const FString&, UtteranceId);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FFacePlexCancelledEvent, const FString&, UtteranceId, const FString&, Reason);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_ThreeParams(FFacePlexWordEvent, const FString&, UtteranceId, const FString&, Word, float, DurationSeconds);
DECLARE_DYNAMIC_MULTICAST_DELEGATE(FFacePlexConnectionEvent);
/** The player's speech began (Started) or ended (Stopped); seconds on the session timeline. */
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FFacePlexPartnerEvent, float, TimelineSeconds);
/** The player barged in: `Utt` stopped; `TextSpoken` is what the player actually heard (give it
 *  to the dialogue system / LLM instead of the full line); `SamplesPlayed` at the session rate. */
DECLARE_DYNAMIC_MULTICAST_DELEGATE_ThreeParams(FFacePlexInterruptedEvent, const FString&, Utt, const FString&, TextSpoken, int32, SamplesPlayed);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_ThreeParams(FFacePlexWarningEvent, const FString&, Utt, const FString&, Code, const FString&, Message);

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

	/** Mood of the face and voice: neutral, happy, sad, angry, surprised, afraid, disgusted. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Performance", meta = (GetOptions = "GetEmotionOptions"))
	FString Emotion = TEXT("neutral");

	/** Strength of Emotion, 0..1. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Performance", meta = (ClampMin = "0", ClampMax = "1"))
	float EmotionIntensity = 0.5f;

	/** Scale of brows, head and eye motion (not lips), 0..2. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Performance", meta = (ClampMin = "0", ClampMax = "2"))
	float Expressiveness = 1.0f;

	/** What the player's speech does: interrupt (stop talking), duck (talk quieter), ignore. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Listening", meta = (GetOptions = "GetInterruptionOptions"))
	FString Interruption = TEXT("interrupt");

	/** The player must speak this long (ms) before the character stops. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Listening", meta = (ClampMin = "0", ClampMax = "5000"))
	int32 MinInterruptionMs = 400;

	/** Lip sync of recorded audio: how far (ms) the face looks ahead into the audio. Smaller is
	 *  faster, larger is more accurate (40 without a transcript = low latency). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Performance", meta = (ClampMin = "20", ClampMax = "2000"))
	int32 LookaheadMs = 200;

	/** Per-curve gain on the Live Link output (e.g. JawOpen = 0.8, HeadYaw = 0.5); curves not
	 *  listed pass unchanged. Applied after the unit conversion, before Live Link. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Performance")
	TMap<FName, float> CurveGains;

	/** Audio component to play through; created on the owner at BeginPlay when not set. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex")
	TObjectPtr<UFacePlexAudioComponent> AudioComponent;

	/** Speak `Text`; returns the utterance id used by the events. Queued behind the current one. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	FString Say(const FString& Text);

	/** Streaming speech (e.g. an LLM's reply as it arrives): open an utterance with its first
	 *  text; continue it with SayAppend and close it with SayAppend(..., bFinal = true). */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	FString SayBegin(const FString& Text);

	/** Add text to an utterance opened with SayBegin; bFinal: no more text follows. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	void SayAppend(const FString& UtteranceId, const FString& Text, bool bFinal);

	/** Animate a recorded line (dialogue, another TTS): the daemon returns its audio with face
	 *  frames on the character's timeline, so it plays like a spoken line. Transcript (optional)
	 *  gives accurate timing. PCM comes from the wave's imported data in the editor and from its
	 *  decompressed RawPCMData in a packaged game; returns "" when the wave has neither. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	FString LipSyncSoundWave(USoundWave* Sound, const FString& Transcript);

	/** Same, from PCM16LE bytes the game already has (interleaved, SampleRate Hz, NumChannels). */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	FString LipSyncPcm(const TArray<uint8>& Pcm16, int32 SampleRate, int32 NumChannels, const FString& Transcript);

	/** Send Emotion, EmotionIntensity, Expressiveness, Interruption, MinInterruptionMs,
	 *  LookaheadMs and Voice to the daemon (done at connect; call after changing them). */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	void Configure();

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

	/** The player started speaking (the face listens). */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex|Listening")
	FFacePlexPartnerEvent OnPartnerSpeechStarted;

	/** The player stopped speaking: the character's turn. */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex|Listening")
	FFacePlexPartnerEvent OnPartnerSpeechStopped;

	/** The player interrupted an utterance: it stopped at once (OnUtteranceCancelled follows
	 *  with reason "interrupted"). */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex|Listening")
	FFacePlexInterruptedEvent OnInterrupted;

	/** The daemon noticed something (e.g. language_not_supported) and went ahead anyway. */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexWarningEvent OnWarning;

	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexConnectionEvent OnConnected;

	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexConnectionEvent OnDisconnected;

	/** The engine-free session (the microphone component feeds it from the capture thread). */
	TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> GetSession() const { return Session; }

	UFUNCTION()
	static TArray<FString> GetEmotionOptions();
	UFUNCTION()
	static TArray<FString> GetInterruptionOptions();

protected:
	virtual void BeginPlay() override;
	virtual void EndPlay(const EEndPlayReason::Type Reason) override;
	virtual void TickComponent(float DeltaTime, ELevelTick TickType, FActorComponentTickFunction* ThisTickFunction) override;

private:
	void Connect(const FString& InUrl);
	void Disconnect();
	void OnConnectionLost(const FString& Why);
	void OnSocketMessage(const void* Data, SIZE_T Size, bool bIsLastFragment);
	FString SendSay(const FString& Text, bool bFinal);
	void Flush();
	void DispatchEvents();
	void PublishFace();

	TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> Session;
	TSharedPtr<IWebSocket> Socket;
	TArray<uint8> Partial;               // a message arriving in fragments
	TArray<TPair<FString, FString>> PendingSays;  // (utt, text) said before the session opened
	FString DaemonUrl;                   // where to (re)connect
	double ReconnectAt = 0.0;            // FPlatformTime::Seconds() of the next attempt, 0 = none
	double ReconnectDelay = 0.5;         // doubles per failed attempt, up to 10 s
	bool bConnectionLost = false;        // set by socket events, handled on the next tick
	std::vector<int> LiveLinkMap;        // Live Link curve -> wire channel (-1: none)
	TArray<float> WireValues;
	TArray<float> LiveLinkValues;
	FDelegateHandle DaemonReadyHandle;
	int32 NextUtterance = 0;
	bool bWasOpen = false;
};
