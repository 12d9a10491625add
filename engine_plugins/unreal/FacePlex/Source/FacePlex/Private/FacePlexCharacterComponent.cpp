#include "FacePlexCharacterComponent.h"

#include "Audio.h"               // FWaveModInfo::ReadWaveInfo (Engine/Public/Audio.h)
#include "Camera/PlayerCameraManager.h"  // APlayerCameraManager::GetCameraLocation() const
#include "Core/ClientSession.h"
#include "Core/LiveLinkNames.h"
#include "Core/LiveLinkSubjects.h"
#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "FacePlexAudioComponent.h"
#include "FacePlexLiveLinkSource.h"
#include "FacePlexSettings.h"
#include "FacePlexSubsystem.h"
#include "GameFramework/Actor.h"
#include "IWebSocket.h"          // Engine/Source/Runtime/Online/WebSockets/Public/IWebSocket.h
#include "Kismet/GameplayStatics.h"  // UGameplayStatics::GetPlayerCameraManager(const UObject*, int32)
#include "Misc/FileHelper.h"     // FFileHelper::LoadFileToArray(TArray<uint8>&, const TCHAR*, uint32)
#include "Misc/Paths.h"          // FPaths::IsRelative, FPaths::ProjectContentDir
#include "Sound/SoundWave.h"     // USoundWave: GetImportedSoundWaveData (WITH_EDITOR), RawPCMData
#include "UObject/UObjectGlobals.h"
#include "WebSocketsModule.h"    // FWebSocketsModule::CreateWebSocket(const FString& Url, const FString& Protocol)

namespace
{
int64 NowUs() { return static_cast<int64>(FPlatformTime::Seconds() * 1e6); }
std::string Utf8(const FString& S) { return std::string(TCHAR_TO_UTF8(*S)); }
FString Tchar(const std::string& S) { return FString(UTF8_TO_TCHAR(S.c_str())); }
constexpr double kMaxReconnectDelay = 10.0;
constexpr float kRenderedTolerance = 0.25f;  // s: "recently rendered" for bSkipFaceWhenNotRendered

UFacePlexSubsystem* GetSubsystem(const UActorComponent* C)
{
	const UWorld* World = C->GetWorld();
	UGameInstance* GI = World ? World->GetGameInstance() : nullptr;
	return GI ? GI->GetSubsystem<UFacePlexSubsystem>() : nullptr;
}

/** The wire names of the enums (PROTOCOL.md §7). */
const TCHAR* EmotionName(EFacePlexEmotion E)
{
	switch (E)
	{
	case EFacePlexEmotion::Happy: return TEXT("happy");
	case EFacePlexEmotion::Sad: return TEXT("sad");
	case EFacePlexEmotion::Angry: return TEXT("angry");
	case EFacePlexEmotion::Surprised: return TEXT("surprised");
	case EFacePlexEmotion::Afraid: return TEXT("afraid");
	case EFacePlexEmotion::Disgusted: return TEXT("disgusted");
	default: return TEXT("neutral");
	}
}

const TCHAR* InterruptionName(EFacePlexInterruption I)
{
	switch (I)
	{
	case EFacePlexInterruption::Duck: return TEXT("duck");
	case EFacePlexInterruption::Ignore: return TEXT("ignore");
	default: return TEXT("interrupt");
	}
}

std::optional<std::string> OptionalUtf8(const FString& S)
{
	return S.IsEmpty() ? std::nullopt : std::optional<std::string>(Utf8(S));
}
}  // namespace

TArray<FString> UFacePlexCharacterComponent::KnownVoices;

UFacePlexCharacterComponent::UFacePlexCharacterComponent()
{
	PrimaryComponentTick.bCanEverTick = true;
	PrimaryComponentTick.TickGroup = TG_PrePhysics;  // face curves ready before animation evaluates
}

TArray<FString> UFacePlexCharacterComponent::GetVoiceOptions()
{
	return KnownVoices;
}

TArray<FName> UFacePlexCharacterComponent::GetCurveNameOptions()
{
	TArray<FName> Names;
	for (size_t i = 0; i < FacePlexCore::kLiveLinkFaceCount; ++i)
	{
		Names.Add(FName(FacePlexCore::LiveLinkFaceNames()[i]));
	}
	return Names;
}

// ------------------------------------------------------------------ Live Link subject
FString UFacePlexCharacterComponent::DefaultSubject() const
{
	// AActor's object name (GetFName), not its editor-only label: saved with the level, so the
	// same on every run, in PIE and in a packaged game.
	// FString UObjectBaseUtility::GetName() const (UObject/UObjectBaseUtility.h): the object name.
	const AActor* Owner = GetOwner();
	return Tchar(FacePlexCore::DefaultSubjectName(Owner ? Utf8(Owner->GetName()) : std::string(), Utf8(GetName())));
}

FName UFacePlexCharacterComponent::GetResolvedSubject() const
{
	return LiveLinkSubject.IsNone() ? FName(*DefaultSubject()) : LiveLinkSubject;
}

void UFacePlexCharacterComponent::OnRegister()
{
	Super::OnRegister();
	// Fill the default in on a placed instance (editor and game), so the Details panel shows the
	// name the face AnimBP must use; a class default (template) keeps None.
	// bool UObjectBaseUtility::IsTemplate(EObjectFlags = RF_ArchetypeObject|RF_ClassDefaultObject) const.
	if (LiveLinkSubject.IsNone() && !IsTemplate() && GetOwner())
	{
		LiveLinkSubject = FName(*DefaultSubject());
		bSubjectIsDefault = true;
	}
}

#if WITH_EDITOR
void UFacePlexCharacterComponent::PostEditChangeProperty(FPropertyChangedEvent& PropertyChangedEvent)
{
	// virtual void UObject::PostEditChangeProperty(FPropertyChangedEvent&) (UObject/Object.h)
	Super::PostEditChangeProperty(PropertyChangedEvent);
	if (PropertyChangedEvent.GetPropertyName() == GET_MEMBER_NAME_CHECKED(UFacePlexCharacterComponent, LiveLinkSubject))
	{
		bSubjectIsDefault = LiveLinkSubject.IsNone();  // typed by the user: keep it
		if (LiveLinkSubject.IsNone() && GetOwner())
		{
			LiveLinkSubject = FName(*DefaultSubject());
			bSubjectIsDefault = true;
		}
	}
}

void UFacePlexCharacterComponent::PostEditImport()
{
	// virtual void UObject::PostEditImport() (UObject/Object.h): after copy/paste or duplicate.
	// A copy must not share the original's default subject: make its own.
	Super::PostEditImport();
	if (bSubjectIsDefault && GetOwner())
	{
		LiveLinkSubject = FName(*DefaultSubject());
	}
}
#endif

void UFacePlexCharacterComponent::ClaimSubject()
{
	PublishedSubject = GetResolvedSubject();
	UFacePlexSubsystem* Subsystem = GetSubsystem(this);
	TSharedPtr<FFacePlexLiveLinkSource> Source = Subsystem ? Subsystem->GetLiveLinkSource() : nullptr;
	if (!Source)
	{
		return;
	}
	// FString UObjectBaseUtility::GetPathName(const UObject* StopOuter = nullptr) const: unique per
	// component in its world, the holder key of the subject registry.
	const TArray<FString> Others = Source->AddSubject(PublishedSubject, GetPathName());
	if (Others.Num() > 0)
	{
		UE_LOG(LogTemp, Warning,
		       TEXT("FacePlex: Live Link subject '%s' of %s is already published by %s: two faces on one subject flicker. Give each character its own Live Link Subject."),
		       *PublishedSubject.ToString(), *GetPathName(), *FString::Join(Others, TEXT(", ")));
	}
}

void UFacePlexCharacterComponent::SetLiveLinkSubject(FName Subject)
{
	LiveLinkSubject = Subject;
	bSubjectIsDefault = false;
	if (!Session)
	{
		return;  // not playing yet: claimed at BeginPlay
	}
	PublishNeutral();
	if (UFacePlexSubsystem* Subsystem = GetSubsystem(this))
	{
		if (TSharedPtr<FFacePlexLiveLinkSource> Source = Subsystem->GetLiveLinkSource())
		{
			Source->RemoveSubject(PublishedSubject, GetPathName());
		}
	}
	ClaimSubject();
}

// ------------------------------------------------------------------ lifetime
void UFacePlexCharacterComponent::BeginPlay()
{
	Super::BeginPlay();
	const UFacePlexSettings* Settings = GetDefault<UFacePlexSettings>();
	FacePlexCore::ClientSessionOptions Options;
	Options.SampleRate = Settings->SampleRate;
	Options.Fps = Settings->Fps;
	Options.ClientName = "FacePlexUnreal/0.1";
	Options.Playback.PreRollSamples = static_cast<int64>(Settings->SampleRate) * Settings->PreRollMs / 1000;
	Session = MakeShared<FacePlexCore::ClientSession, ESPMode::ThreadSafe>(Options);

	if (!AudioComponent)
	{
		// UActorComponent* FComponentReference::GetComponent(AActor* OwningActor) const
		// (Engine/EngineTypes.h): the component picked in the Details panel, on this actor.
		AudioComponent = Cast<UFacePlexAudioComponent>(AudioComponentReference.GetComponent(GetOwner()));
	}
	if (!AudioComponent)
	{
		// Two FacePlex characters on one actor must not both create an object named "FacePlexAudio":
		// MakeUniqueObjectName(UObject* Parent, const UClass* Class, FName BaseName) -- UObjectGlobals.h.
		const FName Name = MakeUniqueObjectName(GetOwner(), UFacePlexAudioComponent::StaticClass(),
		                                        *FString::Printf(TEXT("FacePlexAudio_%s"), *GetName()));
		AudioComponent = NewObject<UFacePlexAudioComponent>(GetOwner(), Name);
		AudioComponent->SetupAttachment(GetOwner()->GetRootComponent());
		AudioComponent->RegisterComponent();
	}
	if (AudioComponent->OutputLatencyMs < 0)
	{
		AudioComponent->OutputLatencyMs = Settings->OutputLatencyMs;  // -1 = from the audio device
	}

	ClaimSubject();
	if (UFacePlexSubsystem* Subsystem = GetSubsystem(this))
	{
		DaemonReadyHandle = Subsystem->OnDaemonReady.AddUObject(this, &UFacePlexCharacterComponent::Connect);
		if (!Subsystem->GetDaemonUrl().IsEmpty())
		{
			Connect(Subsystem->GetDaemonUrl());
		}
	}
}

void UFacePlexCharacterComponent::EndPlay(const EEndPlayReason::Type Reason)
{
	DaemonUrl.Reset();  // no reconnect
	Disconnect();
	if (UFacePlexSubsystem* Subsystem = GetSubsystem(this))
	{
		Subsystem->OnDaemonReady.Remove(DaemonReadyHandle);
		if (TSharedPtr<FFacePlexLiveLinkSource> Source = Subsystem->GetLiveLinkSource())
		{
			Source->RemoveSubject(PublishedSubject, GetPathName());  // removed with its last holder only
		}
	}
	DispatchEvents();  // the "disconnected" cancellations of what was still open
	Super::EndPlay(Reason);
}

// ------------------------------------------------------------------ connection
void UFacePlexCharacterComponent::Connect(const FString& InUrl)
{
	Disconnect();
	DaemonUrl = InUrl;
	ReconnectAt = 0.0;
	bConnectionLost = false;
	if (UFacePlexSubsystem* Subsystem = GetSubsystem(this))
	{
		// The daemon's per-launch secret (its ready line, or the setting for a daemon we did not
		// launch) goes in hello.token; it is never logged.
		const FString Token = Subsystem->GetDaemonToken();
		Session->SetToken(Token.IsEmpty() ? std::nullopt : std::optional<std::string>(Utf8(Token)));
	}
	// TSharedRef<IWebSocket> CreateWebSocket(const FString& Url, const FString& Protocol = FString())
	Socket = FWebSocketsModule::Get().CreateWebSocket(InUrl, FString());
	Socket->OnConnected().AddWeakLambda(this, [this]() {
		ReconnectDelay = 0.5;
		Session->Hello();  // also ends utterances of an earlier connection with "disconnected"
		Flush();
	});
	// FWebSocketBinaryMessageEvent(const void* Data, SIZE_T Size, bool bIsLastFragment): one call
	// per fragment, bIsLastFragment on the message's last one (OnRawMessage's BytesRemaining only
	// counts down within a fragment, so it cannot tell where a message ends).
	Socket->OnBinaryMessage().AddUObject(this, &UFacePlexCharacterComponent::OnSocketMessage);
	Socket->OnConnectionError().AddWeakLambda(this, [this](const FString& Error) {
		OnConnectionLost(FString::Printf(TEXT("cannot connect to the daemon: %s"), *Error));
	});
	Socket->OnClosed().AddWeakLambda(this, [this](int32 StatusCode, const FString& Reason, bool) {
		OnConnectionLost(FString::Printf(TEXT("connection closed (%d %s)"), StatusCode, *Reason));
	});
	Socket->Connect();
}

void UFacePlexCharacterComponent::OnConnectionLost(const FString& Why)
{
	// Called from inside the socket's own event: the socket is released on the next tick, not
	// here (destroying an IWebSocket while it broadcasts is not safe).
	UE_LOG(LogTemp, Warning, TEXT("FacePlex: %s"), *Why);
	bConnectionLost = true;
}

void UFacePlexCharacterComponent::Disconnect()
{
	if (AudioComponent)
	{
		AudioComponent->StopStreaming();
	}
	if (Socket)
	{
		Socket->OnConnected().RemoveAll(this);
		Socket->OnBinaryMessage().RemoveAll(this);
		Socket->OnConnectionError().RemoveAll(this);
		Socket->OnClosed().RemoveAll(this);
		Socket->Close();
		Socket.Reset();
	}
	Partial.Reset();
	if (Session)
	{
		Session->Disconnected();  // open utterances end with UtteranceCancelled("disconnected")
	}
	// Live Link keeps a subject's last frame while its source is silent: without this a daemon
	// that exits mid-phoneme leaves the mouth frozen open.
	PublishNeutral();
	if (bWasOpen)
	{
		bWasOpen = false;
		OnDisconnected.Broadcast();
	}
}

void UFacePlexCharacterComponent::OnSocketMessage(const void* Data, SIZE_T Size, bool bIsLastFragment)
{
	// Game thread. A large message may arrive in fragments: decode it once the last one is in.
	Partial.Append(static_cast<const uint8*>(Data), Size);
	if (!bIsLastFragment)
	{
		return;
	}
	const FacePlexCore::ReceiveResult R = Session->Receive(Partial.GetData(), Partial.Num());
	Partial.Reset();
	if (!R.Ok)
	{
		UE_LOG(LogTemp, Warning, TEXT("FacePlex: %s: %s"), *Tchar(R.ErrorCode), *Tchar(R.ErrorMessage));
		return;
	}
	const auto* Welcome = std::get_if<FacePlexCore::WelcomeMsg>(&R.Msg);
	if (Welcome && Session->State() != FacePlexCore::SessionState::Open)
	{
		// A welcome of another protocol version: the core did not open the session and queued an
		// IncompatibleDaemon event (logged and broadcast by DispatchEvents); do not stream.
		DaemonUrl.Reset();  // no reconnect loop to it; a daemon announced later is connected again
	}
	else if (Welcome)
	{
		LiveLinkMap = FacePlexCore::LiveLinkChannelMap(Welcome->Channels);
		KnownVoices.Reset();
		for (const std::string& V : Welcome->Voices)
		{
			KnownVoices.Add(Tchar(V));
		}
		bWasOpen = true;
		AudioComponent->StartStreaming(Session, static_cast<int32>(Welcome->Audio.SampleRate));
		Configure();
		for (const FPendingSay& Pending : PendingSays)
		{
			const FString& V = Pending.Voice.IsEmpty() ? Voice : Pending.Voice;
			Session->Say(Utf8(Pending.Utt), Utf8(Pending.Text), false, true, OptionalUtf8(V));
		}
		PendingSays.Reset();
		Flush();
		OnConnected.Broadcast();
	}
	else if (const auto* Error = std::get_if<FacePlexCore::ErrorMsg>(&R.Msg))
	{
		UE_LOG(LogTemp, Warning, TEXT("FacePlex daemon: %s: %s"), *Tchar(Error->Code), *Tchar(Error->Message));
	}
}

// ------------------------------------------------------------------ settings
FString UFacePlexCharacterComponent::EffectiveEmotion() const
{
	// String fallback: a Blueprint or level saved with the old string property keeps working.
	return Emotion.IsEmpty() ? FString(EmotionName(Mood)) : Emotion.ToLower();
}

FString UFacePlexCharacterComponent::EffectiveInterruption() const
{
	return Interruption.IsEmpty() ? FString(InterruptionName(InterruptionMode)) : Interruption.ToLower();
}

FString UFacePlexCharacterComponent::SettingsKey() const
{
	return FString::Printf(TEXT("%s|%s|%.4f|%.4f|%s|%d|%d"), *Voice, *EffectiveEmotion(), EmotionIntensity, Expressiveness,
	                       *EffectiveInterruption(), MinInterruptionMs, LookaheadMs);
}

void UFacePlexCharacterComponent::Configure()
{
	if (!IsConnected())
	{
		return;  // sent at connect
	}
	FacePlexCore::SessionSettings S;
	if (!Voice.IsEmpty()) S.Voice = Utf8(Voice);
	S.Expressiveness = Expressiveness;
	S.Emotion = Utf8(EffectiveEmotion());
	S.EmotionIntensity = EmotionIntensity;
	S.Interruption = Utf8(EffectiveInterruption());
	S.MinInterruptionMs = MinInterruptionMs;
	S.LipsyncLookaheadMs = LookaheadMs;
	Session->Configure(S);
	LastSettingsKey = SettingsKey();
	Flush();
}

// ------------------------------------------------------------------ speech
FString UFacePlexCharacterComponent::SendSay(const FString& Text, bool bFinal, const FString& InVoice)
{
	const FString Utt = FString::Printf(TEXT("%s-%d"), *GetResolvedSubject().ToString(), ++NextUtterance);
	if (!IsConnected() && bFinal)
	{
		PendingSays.Add({Utt, Text, InVoice});  // sent once the session is open
		return Utt;
	}
	if (!IsConnected())
	{
		return FString();  // a streamed utterance needs the session now
	}
	Session->Say(Utf8(Utt), Utf8(Text), false, bFinal, OptionalUtf8(InVoice.IsEmpty() ? Voice : InVoice));
	Flush();
	return Utt;
}

FString UFacePlexCharacterComponent::Say(const FString& Text, const FString& InVoice) { return SendSay(Text, true, InVoice); }

FString UFacePlexCharacterComponent::SayBegin(const FString& Text) { return SendSay(Text, false, FString()); }

void UFacePlexCharacterComponent::SayAppend(const FString& UtteranceId, const FString& Text, bool bFinal)
{
	if (!IsConnected() || UtteranceId.IsEmpty())
	{
		return;
	}
	Session->SayAppend(Utf8(UtteranceId), Utf8(Text), bFinal);
	Flush();
}

FString UFacePlexCharacterComponent::LipSyncPcm(const TArray<uint8>& Pcm16, int32 SampleRate, int32 NumChannels, const FString& Transcript)
{
	if (!IsConnected() || NumChannels <= 0 || SampleRate <= 0 || Pcm16.Num() < 2 * NumChannels)
	{
		return FString();
	}
	const FString Utt = FString::Printf(TEXT("%s-lipsync-%d"), *GetResolvedSubject().ToString(), ++NextUtterance);
	const size_t Frames = static_cast<size_t>(Pcm16.Num()) / (2 * static_cast<size_t>(NumChannels));
	// PCM16LE on every platform Unreal ships (x86-64, ARM64 little-endian): the bytes are int16s.
	Session->LipSync(Utf8(Utt), reinterpret_cast<const int16_t*>(Pcm16.GetData()), Frames, SampleRate, NumChannels,
	                 OptionalUtf8(Transcript), true);
	Flush();
	return Utt;
}

FString UFacePlexCharacterComponent::LipSyncWavFile(const FString& FilePath, const FString& Transcript)
{
	const FString Path = FPaths::IsRelative(FilePath) ? FPaths::ProjectContentDir() / FilePath : FilePath;
	TArray<uint8> Bytes;
	// static bool FFileHelper::LoadFileToArray(TArray<uint8>& Result, const TCHAR* Filename, uint32 Flags = 0)
	if (!FFileHelper::LoadFileToArray(Bytes, *Path))
	{
		UE_LOG(LogTemp, Warning, TEXT("FacePlex: cannot read %s"), *Path);
		return FString();
	}
	// bool FWaveModInfo::ReadWaveInfo(const uint8* WaveData, int32 WaveDataSize, FString* ErrorMessage = NULL,
	// bool InHeaderDataOnly = false, void** OutFormatHeader = NULL) -- Engine/Public/Audio.h (older
	// 5.x take uint8*; a non-const pointer fits both). pChannels/pSamplesPerSec/pBitsPerSample/
	// pFormatTag point into the file's fmt chunk; SampleDataStart/SampleDataSize into its data chunk.
	FWaveModInfo Info;
	FString Error;
	if (!Info.ReadWaveInfo(Bytes.GetData(), Bytes.Num(), &Error) || *Info.pBitsPerSample != 16 ||
	    (*Info.pFormatTag != 1 /*WAVE_FORMAT_PCM*/ && *Info.pFormatTag != 0xFFFE /*WAVE_FORMAT_EXTENSIBLE*/))
	{
		UE_LOG(LogTemp, Warning, TEXT("FacePlex: %s is not a 16-bit PCM WAV file %s"), *Path, *Error);
		return FString();
	}
	const TArray<uint8> Pcm(Info.SampleDataStart, static_cast<int32>(Info.SampleDataSize));
	return LipSyncPcm(Pcm, static_cast<int32>(*Info.pSamplesPerSec), static_cast<int32>(*Info.pChannels), Transcript);
}

FString UFacePlexCharacterComponent::LipSyncSoundWave(USoundWave* Sound, const FString& Transcript)
{
	if (!Sound)
	{
		return FString();
	}
	TArray<uint8> Pcm;
	uint32 Rate = 0;
	uint16 Channels = 0;
#if WITH_EDITOR
	// bool USoundWave::GetImportedSoundWaveData(TArray<uint8>& OutRawPCMData, uint32& OutSampleRate,
	// uint16& OutNumChannels) const -- Sound/SoundWave.h (editor only): the imported 16-bit PCM.
	Sound->GetImportedSoundWaveData(Pcm, Rate, Channels);
#endif
	if (Pcm.Num() == 0 && Sound->RawPCMData && Sound->RawPCMDataSize > 0)
	{
		// USoundWave::RawPCMData / RawPCMDataSize (Sound/SoundWave.h): 16-bit PCM, filled only where
		// the engine decompressed the whole wave into memory -- normally empty in a cooked UE5 game,
		// whose waves stay compressed and are decoded by the mixer as they play.
		Pcm.Append(Sound->RawPCMData, Sound->RawPCMDataSize);
		Rate = static_cast<uint32>(Sound->GetSampleRateForCurrentPlatform());
		Channels = static_cast<uint16>(Sound->NumChannels);
	}
	if (Pcm.Num() == 0 || Rate == 0 || Channels == 0)
	{
		UE_LOG(LogTemp, Warning,
		       TEXT("FacePlex: %s has no PCM in memory (a packaged game keeps waves compressed): use Lip Sync Wav File with the line's WAV staged as a non-asset file, or Lip Sync Pcm"),
		       *Sound->GetName());
		return FString();
	}
	return LipSyncPcm(Pcm, static_cast<int32>(Rate), Channels, Transcript);
}

void UFacePlexCharacterComponent::Cancel(const FString& UtteranceId)
{
	if (UtteranceId.IsEmpty())
	{
		PendingSays.Reset();
	}
	else
	{
		PendingSays.RemoveAll([&](const FPendingSay& P) { return P.Utt == UtteranceId; });
	}
	if (!IsConnected())
	{
		return;
	}
	// Drops the queued audio and frames now (the face eases to rest), then tells the daemon.
	Session->Cancel(OptionalUtf8(UtteranceId));
	Session->ReportPlayback(NowUs());
	Flush();
	DispatchEvents();
}

bool UFacePlexCharacterComponent::IsConnected() const
{
	return Session && Socket && Socket->IsConnected() && Session->State() == FacePlexCore::SessionState::Open;
}

bool UFacePlexCharacterComponent::IsSpeaking() const
{
	return PendingSays.Num() > 0 || (Session && !Session->OpenUtterances().empty());
}

// ------------------------------------------------------------------ tick
void UFacePlexCharacterComponent::TickComponent(float DeltaTime, ELevelTick TickType, FActorComponentTickFunction* ThisTickFunction)
{
	Super::TickComponent(DeltaTime, TickType, ThisTickFunction);
	if (!Session)
	{
		return;
	}
	if (bConnectionLost)
	{
		bConnectionLost = false;
		Disconnect();
		// Reconnect with back-off: to a daemon we launched (the subsystem also announces a
		// restarted one) or to one we did not launch.
		if (!DaemonUrl.IsEmpty())
		{
			ReconnectAt = FPlatformTime::Seconds() + ReconnectDelay;
			ReconnectDelay = FMath::Min(ReconnectDelay * 2.0, kMaxReconnectDelay);
		}
	}
	// What is between the timeline and the listener's ear now: everything below uses the heard sample.
	Session->SetOutputDelaySamples(AudioComponent ? AudioComponent->GetOutputDelaySamples() : 0);
	DispatchEvents();  // also while disconnected: the "disconnected" cancellations
	if (!Socket && ReconnectAt > 0.0 && FPlatformTime::Seconds() >= ReconnectAt && !DaemonUrl.IsEmpty())
	{
		Connect(DaemonUrl);
	}
	if (!IsConnected())
	{
		return;
	}
	if (SettingsKey() != LastSettingsKey)
	{
		Configure();  // a property changed (Details panel in PIE, or a Blueprint set)
	}
	PublishFace();
	Session->MaybeReportPlayback(NowUs());
	Session->PumpMic();  // what the microphone's capture thread pushed, as 40 ms mic messages
	Flush();
}

void UFacePlexCharacterComponent::DispatchEvents()
{
	const int64 Rate = FMath::Max<int64>(1, Session->GetTimeline().SampleRate());
	for (const FacePlexCore::TimelineEvent& E : Session->PollEvents(NowUs()))
	{
		const FString Utt = Tchar(E.Utt);
		const float Seconds = static_cast<float>(E.End - E.Sample) / static_cast<float>(Rate);
		switch (E.Kind)
		{
		case FacePlexCore::TimelineEventKind::UtteranceStarted: OnUtteranceStarted.Broadcast(Utt); break;
		case FacePlexCore::TimelineEventKind::UtteranceFinished: OnUtteranceFinished.Broadcast(Utt); break;
		case FacePlexCore::TimelineEventKind::UtteranceCancelled: OnUtteranceCancelled.Broadcast(Utt, Tchar(E.Reason)); break;
		case FacePlexCore::TimelineEventKind::Word: OnWord.Broadcast(Utt, Tchar(E.Text), Seconds); break;
		case FacePlexCore::TimelineEventKind::Phoneme: OnViseme.Broadcast(Utt, Tchar(E.Viseme), Tchar(E.Text), Seconds); break;
		case FacePlexCore::TimelineEventKind::PartnerSpeechStarted:
			OnPartnerSpeechStarted.Broadcast(static_cast<float>(E.Sample) / static_cast<float>(Rate));
			break;
		case FacePlexCore::TimelineEventKind::PartnerSpeechStopped:
			OnPartnerSpeechStopped.Broadcast(static_cast<float>(E.End) / static_cast<float>(Rate));
			break;
		case FacePlexCore::TimelineEventKind::Interrupted:
			OnInterrupted.Broadcast(Utt, Tchar(E.Text), static_cast<int32>(E.SamplesPlayed));
			break;
		case FacePlexCore::TimelineEventKind::Warning: OnWarning.Broadcast(Utt, Tchar(E.Reason), Tchar(E.Text)); break;
		case FacePlexCore::TimelineEventKind::IncompatibleDaemon:
			// PROTOCOL.md §9: Text names both versions; Sample = the daemon's protocol, End = ours.
			UE_LOG(LogTemp, Error, TEXT("FacePlex: %s"), *Tchar(E.Text));
			OnIncompatibleDaemon.Broadcast(static_cast<int32>(E.Sample), static_cast<int32>(E.End), Tchar(E.Text));
			break;
		case FacePlexCore::TimelineEventKind::PartnerTranscript:
			OnPartnerTranscript.Broadcast(Tchar(E.Text), E.Reason == "final");  // Reason: "final" | "interim"
			break;
		default: break;
		}
	}
}

// ------------------------------------------------------------------ face
bool UFacePlexCharacterComponent::ShouldSkipFace() const
{
	const AActor* Owner = GetOwner();
	if (!Owner)
	{
		return false;
	}
	// bool AActor::WasRecentlyRendered(float Tolerance = 0.2) const (GameFramework/Actor.h)
	if (bSkipFaceWhenNotRendered && !Owner->WasRecentlyRendered(kRenderedTolerance))
	{
		return true;
	}
	if (MaxFaceDistance > 0.0f)
	{
		// static APlayerCameraManager* UGameplayStatics::GetPlayerCameraManager(const UObject*
		// WorldContextObject, int32 PlayerIndex) (Kismet/GameplayStatics.h);
		// FVector APlayerCameraManager::GetCameraLocation() const (Camera/PlayerCameraManager.h).
		if (const APlayerCameraManager* Camera = UGameplayStatics::GetPlayerCameraManager(this, 0))
		{
			// AActor::GetActorLocation() const (GameFramework/Actor.h); FVector::Dist (Math/Vector.h), cm.
			return FVector::Dist(Camera->GetCameraLocation(), Owner->GetActorLocation()) > MaxFaceDistance;
		}
	}
	return false;
}

void UFacePlexCharacterComponent::PublishFace()
{
	UFacePlexSubsystem* Subsystem = GetSubsystem(this);
	TSharedPtr<FFacePlexLiveLinkSource> Source = Subsystem ? Subsystem->GetLiveLinkSource() : nullptr;
	if (!Source || ShouldSkipFace())
	{
		return;  // skipping loses nothing: the next update shows the face for the sample heard then
	}
	// The face for the sample the listener hears now -- not the newest frame received.
	const FacePlexCore::Timeline& Timeline = Session->GetTimeline();
	WireValues.SetNumZeroed(Timeline.ChannelCount());
	if (!Timeline.FaceAt(Session->HeardSample(), WireValues.GetData(), WireValues.Num()))
	{
		return;
	}
	LiveLinkValues.SetNumUninitialized(FacePlexCore::kLiveLinkFaceCount);
	// Weights as they are, rotations radians -> Live Link Face's degrees / 180 (LiveLinkNames.h).
	FacePlexCore::ToLiveLinkValues(LiveLinkMap, WireValues.GetData(), WireValues.Num(), LiveLinkValues.GetData());
	for (const FFacePlexCurveGain& Gain : CurveGainList)
	{
		for (int32 i = 0; i < static_cast<int32>(FacePlexCore::kLiveLinkFaceCount); ++i)
		{
			if (Gain.Curve == FName(FacePlexCore::LiveLinkFaceNames()[i]))
			{
				LiveLinkValues[i] *= Gain.Gain;
			}
		}
	}
	for (const TPair<FName, float>& Gain : CurveGains)  // deprecated map, still honoured
	{
		for (int32 i = 0; i < static_cast<int32>(FacePlexCore::kLiveLinkFaceCount); ++i)
		{
			if (Gain.Key == FName(FacePlexCore::LiveLinkFaceNames()[i]))
			{
				LiveLinkValues[i] *= Gain.Value;
			}
		}
	}
	Source->PushFrame(PublishedSubject, LiveLinkValues);
	bFacePublished = true;
}

void UFacePlexCharacterComponent::PublishNeutral()
{
	if (!bFacePublished || PublishedSubject.IsNone())
	{
		return;
	}
	UFacePlexSubsystem* Subsystem = GetSubsystem(this);
	if (TSharedPtr<FFacePlexLiveLinkSource> Source = Subsystem ? Subsystem->GetLiveLinkSource() : nullptr)
	{
		Source->PushNeutral(PublishedSubject);
	}
	bFacePublished = false;
}

void UFacePlexCharacterComponent::Flush()
{
	for (const std::vector<uint8_t>& Bytes : Session->TakeOutgoing())
	{
		if (Socket && Socket->IsConnected())
		{
			Socket->Send(Bytes.data(), Bytes.size(), /*bIsBinary=*/true);  // IWebSocket::Send(const void*, SIZE_T, bool)
		}
	}
}
