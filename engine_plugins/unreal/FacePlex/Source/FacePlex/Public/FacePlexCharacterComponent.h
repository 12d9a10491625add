// Add to a character: one FacePlex session (WebSocket to the daemon), its speech played by a
// UFacePlexAudioComponent, its face published as Live Link subject `LiveLinkSubject` with
// Unreal's ARKit curve names (EyeBlinkLeft, JawOpen, ...) for a MetaHuman face AnimBP.
// Full duplex: add a UFacePlexMicrophoneComponent and bind OnPartnerSpeechStarted/Stopped and
// OnInterrupted; LipSyncSoundWave / LipSyncPcm / LipSyncWavFile animate recorded dialogue on the
// same timeline.
//
// Heard position: each tick the component tells the session how much output is still between
// the timeline and the listener (the procedural wave's queue + the device latency), and the face,
// OnWord/OnViseme and the playback reports the daemon turns into text_spoken use the sample the
// listener hears (PROTOCOL.md §4), not the one the mixer pulled.
#pragma once

#include "CoreMinimal.h"
#include <vector>
#include "Components/ActorComponent.h"
#include "Engine/EngineTypes.h"  // FComponentReference (UseComponentPicker)
#include "FacePlexCharacterComponent.generated.h"

class IWebSocket;
class UFacePlexAudioComponent;
class USoundWave;
namespace FacePlexCore { class ClientSession; }

/** The character's mood (PROTOCOL.md §7 `emotion`). */
UENUM(BlueprintType)
enum class EFacePlexEmotion : uint8
{
	Neutral, Happy, Sad, Angry, Surprised, Afraid, Disgusted
};

/** What the player's speech does to a line being spoken (PROTOCOL.md §7 `interruption`). */
UENUM(BlueprintType)
enum class EFacePlexInterruption : uint8
{
	/** Stop talking at once. */
	Interrupt,
	/** Keep talking, quieter. */
	Duck,
	/** Keep talking. */
	Ignore
};

/** A gain on one Live Link curve, picked from the 61 curve names. */
USTRUCT(BlueprintType)
struct FFacePlexCurveGain
{
	GENERATED_BODY()

	// GetOptions "Module.Class.Function": the form Epic uses on UEnhancedInputUserSettings::
	// FindMappingsInRow (GetOptions="EnhancedInput.PlayerMappableKeySettings.GetKnownMappingNames").
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex", meta = (GetOptions = "FacePlex.FacePlexCharacterComponent.GetCurveNameOptions"))
	FName Curve;

	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex", meta = (ClampMin = "0", ClampMax = "4"))
	float Gain = 1.0f;
};

DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FFacePlexUtteranceEvent, const FString&, UtteranceId);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FFacePlexCancelledEvent, const FString&, UtteranceId, const FString&, Reason);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_ThreeParams(FFacePlexWordEvent, const FString&, UtteranceId, const FString&, Word, float, DurationSeconds);
/** A phoneme starts being heard: its OVRLipSync viseme (sil PP FF TH DD kk CH SS nn RR aa E ih oh
 *  ou), the phoneme (IPA) and its duration in seconds. */
DECLARE_DYNAMIC_MULTICAST_DELEGATE_FourParams(FFacePlexVisemeEvent, const FString&, UtteranceId, const FString&, Viseme, const FString&, Phoneme, float, DurationSeconds);
DECLARE_DYNAMIC_MULTICAST_DELEGATE(FFacePlexConnectionEvent);
/** The player's speech began (Started) or ended (Stopped); seconds on the session timeline. */
DECLARE_DYNAMIC_MULTICAST_DELEGATE_OneParam(FFacePlexPartnerEvent, float, TimelineSeconds);
/** The player barged in: `Utt` stopped; `TextSpoken` is what the player actually heard (give it
 *  to the dialogue system / LLM instead of the full line); `SamplesPlayed` at the session rate. */
DECLARE_DYNAMIC_MULTICAST_DELEGATE_ThreeParams(FFacePlexInterruptedEvent, const FString&, Utt, const FString&, TextSpoken, int32, SamplesPlayed);
/** What the player said (PROTOCOL.md §11 partner_transcript): bFinal false = an interim result
 *  while they still speak (superseded by later ones), true = the final text of their turn. */
DECLARE_DYNAMIC_MULTICAST_DELEGATE_TwoParams(FFacePlexTranscriptEvent, const FString&, Text, bool, bFinal);
/** The daemon speaks another protocol version (PROTOCOL.md §9): the session was refused. */
DECLARE_DYNAMIC_MULTICAST_DELEGATE_ThreeParams(FFacePlexIncompatibleEvent, int32, DaemonProtocol, int32, PluginProtocol, const FString&, Message);
DECLARE_DYNAMIC_MULTICAST_DELEGATE_ThreeParams(FFacePlexWarningEvent, const FString&, Utt, const FString&, Code, const FString&, Message);

UCLASS(ClassGroup = (FacePlex), meta = (BlueprintSpawnableComponent))
class FACEPLEX_API UFacePlexCharacterComponent : public UActorComponent
{
	GENERATED_BODY()

public:
	UFacePlexCharacterComponent();

	/** Live Link subject to bind in the face AnimBP (Live Link Pose node). None: filled in when the
	 *  component is registered with FacePlex_<actor> (plus _<component> for a second FacePlex
	 *  component on one actor) -- unique per character, the same on every run (the actor's object
	 *  name is saved with the level), shown here so the AnimBP can name it. Editable. Two
	 *  characters on one subject are reported at BeginPlay. */
	UPROPERTY(EditAnywhere, BlueprintReadOnly, Category = "FacePlex")
	FName LiveLinkSubject;

	/** Voice for Say (empty: the daemon's default). The list holds the voices of the last daemon
	 *  this editor session connected to (Play once to fill it); a blend such as
	 *  "af_bella*0.6+am_adam*0.4" can be set from Blueprint or passed to Say. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex", meta = (GetOptions = "GetVoiceOptions"))
	FString Voice;

	/** Mood of the face and voice. Changes apply on the next tick (no Configure needed). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Performance")
	EFacePlexEmotion Mood = EFacePlexEmotion::Neutral;

	/** Strength of Mood, 0..1. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Performance", meta = (ClampMin = "0", ClampMax = "1"))
	float EmotionIntensity = 0.5f;

	/** Scale of brows, head and eye motion (not lips), 0..2. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Performance", meta = (ClampMin = "0", ClampMax = "2"))
	float Expressiveness = 1.0f;

	/** What the player's speech does to a line being spoken. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Listening")
	EFacePlexInterruption InterruptionMode = EFacePlexInterruption::Interrupt;

	/** The player must speak this long (ms) before the character stops. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Listening", meta = (ClampMin = "0", ClampMax = "5000"))
	int32 MinInterruptionMs = 400;

	/** Lip sync of recorded audio: how far (ms) the face looks ahead into the audio. Smaller is
	 *  faster, larger is more accurate (40 without a transcript = low latency). */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Performance", meta = (ClampMin = "20", ClampMax = "2000"))
	int32 LookaheadMs = 200;

	/** Per-curve gains on the Live Link output (e.g. JawOpen 0.8, HeadYaw 0.5), curve names from a
	 *  list; curves not listed pass unchanged. Applied after the unit conversion. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Performance")
	TArray<FFacePlexCurveGain> CurveGainList;

	/** Skip face updates while the character was not rendered for 0.25 s (off screen, culled).
	 *  The face keeps its place: it is always the face for the sample being heard. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Performance")
	bool bSkipFaceWhenNotRendered = false;

	/** Skip face updates beyond this distance (cm) from player 0's camera; 0 = never. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Performance", meta = (ClampMin = "0"))
	float MaxFaceDistance = 0.0f;

	/** The FacePlex Audio component to play through (a picker of this actor's components); none:
	 *  one is created on the owner at BeginPlay. */
	UPROPERTY(EditAnywhere, Category = "FacePlex", meta = (DisplayName = "Audio Component", UseComponentPicker, AllowedClasses = "/Script/FacePlex.FacePlexAudioComponent"))
	FComponentReference AudioComponentReference;

	/** The audio component in use (resolved from Audio Component at BeginPlay, or created). */
	UPROPERTY(BlueprintReadWrite, Category = "FacePlex")
	TObjectPtr<UFacePlexAudioComponent> AudioComponent;

	// ------------------------------------------------------------ deprecated (string fallback)
	/** Deprecated: use Mood. A non-empty value (neutral, happy, sad, angry, surprised, afraid,
	 *  disgusted) still wins over Mood, so Blueprints and levels saved with it keep working. */
	UPROPERTY(BlueprintReadWrite, Category = "FacePlex|Deprecated", meta = (DeprecatedProperty, DeprecationMessage = "Use Mood (an enum)."))
	FString Emotion;

	/** Deprecated: use Interruption Mode. A non-empty value (interrupt, duck, ignore) still wins. */
	UPROPERTY(BlueprintReadWrite, Category = "FacePlex|Deprecated", meta = (DeprecatedProperty, DeprecationMessage = "Use InterruptionMode (an enum)."))
	FString Interruption;

	/** Deprecated: use Curve Gain List (curve names from a list). Still applied. */
	UPROPERTY(EditAnywhere, BlueprintReadWrite, Category = "FacePlex|Deprecated", meta = (DeprecatedProperty, DeprecationMessage = "Use CurveGainList."))
	TMap<FName, float> CurveGains;

	// ------------------------------------------------------------ speech
	/** Speak `Text`; returns the utterance id used by the events. Queued behind the current one
	 *  (also before the connection is up). `InVoice` (empty: the Voice property) for this line. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	FString Say(const FString& Text,
	            UPARAM(meta = (GetOptions = "FacePlex.FacePlexCharacterComponent.GetVoiceOptions")) const FString& InVoice = TEXT(""));

	/** Streaming speech (e.g. an LLM's reply as it arrives): open an utterance with its first
	 *  text; continue it with SayAppend and close it with SayAppend(..., bFinal = true). */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	FString SayBegin(const FString& Text);

	/** Add text to an utterance opened with SayBegin; bFinal: no more text follows. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	void SayAppend(const FString& UtteranceId, const FString& Text, bool bFinal);

	/** Animate a recorded line in the editor or from a wave whose PCM is resident (RawPCMData).
	 *  In a packaged game a wave's PCM is normally compressed and not resident: this returns ""
	 *  and logs why -- use LipSyncWavFile or LipSyncPcm there (README: "Recorded dialogue"). */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	FString LipSyncSoundWave(USoundWave* Sound, const FString& Transcript);

	/** Animate a 16-bit PCM WAV file (e.g. dialogue staged with "Additional Non-Asset Directories
	 *  to Package"); a relative path is under the project's Content folder. Works in cooked builds. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	FString LipSyncWavFile(const FString& FilePath, const FString& Transcript);

	/** Same, from PCM16LE bytes the game already has (interleaved, SampleRate Hz, NumChannels). */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	FString LipSyncPcm(const TArray<uint8>& Pcm16, int32 SampleRate, int32 NumChannels, const FString& Transcript);

	/** Send the settings now (Mood, EmotionIntensity, Expressiveness, InterruptionMode,
	 *  MinInterruptionMs, LookaheadMs, Voice). Not needed any more: changes are sent on the next tick. */
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

	/** Publish under another Live Link subject from now on (e.g. a character spawned at run time,
	 *  whose actor name depends on spawn order): the old subject gets a neutral face and is released;
	 *  a duplicate is reported as at BeginPlay. */
	UFUNCTION(BlueprintCallable, Category = "FacePlex")
	void SetLiveLinkSubject(FName Subject);

	/** The subject this character publishes (LiveLinkSubject, or the default made from its actor). */
	UFUNCTION(BlueprintPure, Category = "FacePlex")
	FName GetResolvedSubject() const;

	// ------------------------------------------------------------ events
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

	/** Fired as each phoneme starts being heard, with its viseme. */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexVisemeEvent OnViseme;

	/** The player started speaking (the face listens). */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex|Listening")
	FFacePlexPartnerEvent OnPartnerSpeechStarted;

	/** The player stopped speaking: the character's turn. */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex|Listening")
	FFacePlexPartnerEvent OnPartnerSpeechStopped;

	/** What the player said, as text: interim results while they speak (bFinal false), then the
	 *  final text of the turn (after OnPartnerSpeechStopped). Give the final text to your dialogue
	 *  system, then Say the reply. Needs a FacePlex Microphone and a daemon with transcription. */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex|Listening")
	FFacePlexTranscriptEvent OnPartnerTranscript;

	/** The player interrupted an utterance: it stopped at once (OnUtteranceCancelled follows
	 *  with reason "interrupted"). */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex|Listening")
	FFacePlexInterruptedEvent OnInterrupted;

	/** The daemon noticed something (e.g. language_not_supported) and went ahead anyway. */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexWarningEvent OnWarning;

	/** The daemon's welcome named another protocol version: the session was refused (also logged
	 *  as an error naming both versions); update the daemon or the plugin. */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexIncompatibleEvent OnIncompatibleDaemon;

	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexConnectionEvent OnConnected;

	/** The connection was lost: the face has been set to neutral; reconnection follows. */
	UPROPERTY(BlueprintAssignable, Category = "FacePlex")
	FFacePlexConnectionEvent OnDisconnected;

	/** The engine-free session (the microphone component feeds it from the capture thread). */
	TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> GetSession() const { return Session; }

	UFUNCTION()
	static TArray<FString> GetVoiceOptions();
	UFUNCTION()
	static TArray<FName> GetCurveNameOptions();

protected:
	virtual void OnRegister() override;
	virtual void BeginPlay() override;
	virtual void EndPlay(const EEndPlayReason::Type Reason) override;
	virtual void TickComponent(float DeltaTime, ELevelTick TickType, FActorComponentTickFunction* ThisTickFunction) override;
#if WITH_EDITOR
	virtual void PostEditChangeProperty(FPropertyChangedEvent& PropertyChangedEvent) override;
	virtual void PostEditImport() override;
#endif

private:
	void Connect(const FString& InUrl);
	void Disconnect();
	void OnConnectionLost(const FString& Why);
	void OnSocketMessage(const void* Data, SIZE_T Size, bool bIsLastFragment);
	FString SendSay(const FString& Text, bool bFinal, const FString& InVoice);
	void Flush();
	void DispatchEvents();
	void PublishFace();
	bool ShouldSkipFace() const;
	void PublishNeutral();
	FString DefaultSubject() const;
	void ClaimSubject();
	FString SettingsKey() const;
	FString EffectiveEmotion() const;
	FString EffectiveInterruption() const;

	/** Set when LiveLinkSubject was filled in from the actor's name (not typed by the user): a
	 *  copy of the actor gets its own default instead of sharing the original's subject. */
	UPROPERTY()
	bool bSubjectIsDefault = false;

	TSharedPtr<FacePlexCore::ClientSession, ESPMode::ThreadSafe> Session;
	TSharedPtr<IWebSocket> Socket;
	TArray<uint8> Partial;               // a message arriving in fragments
	struct FPendingSay { FString Utt; FString Text; FString Voice; };
	TArray<FPendingSay> PendingSays;     // said before the session opened
	FString DaemonUrl;                   // where to (re)connect
	double ReconnectAt = 0.0;            // FPlatformTime::Seconds() of the next attempt, 0 = none
	double ReconnectDelay = 0.5;         // doubles per failed attempt, up to 10 s
	bool bConnectionLost = false;        // set by socket events, handled on the next tick
	std::vector<int> LiveLinkMap;        // Live Link curve -> wire channel (-1: none)
	TArray<float> WireValues;
	TArray<float> LiveLinkValues;
	TArray<int32> GainIndex;             // per CurveGainList entry: its Live Link curve (-1: none)
	FName PublishedSubject;              // the subject claimed at BeginPlay
	FString LastSettingsKey;             // settings as last sent (changes are sent on the next tick)
	FDelegateHandle DaemonReadyHandle;
	int32 NextUtterance = 0;
	bool bWasOpen = false;
	bool bFacePublished = false;         // a non-neutral face went out since the last neutral one

	/** Voices of the last welcome (this process): the Voice dropdown's options. */
	static TArray<FString> KnownVoices;
};
