#include "FacePlexCharacterComponent.h"

#include "Core/ClientSession.h"
#include "Core/LiveLinkNames.h"
#include "Engine/GameInstance.h"
#include "Engine/World.h"
#include "FacePlexAudioComponent.h"
#include "FacePlexLiveLinkSource.h"
#include "FacePlexSettings.h"
#include "FacePlexSubsystem.h"
#include "GameFramework/Actor.h"
#include "IWebSocket.h"          // Engine/Source/Runtime/Online/WebSockets/Public/IWebSocket.h
#include "Sound/SoundWave.h"     // USoundWave: GetImportedSoundWaveData (WITH_EDITOR), RawPCMData
#include "UObject/UObjectGlobals.h"
#include "WebSocketsModule.h"    // FWebSocketsModule::CreateWebSocket(const FString& Url, const FString& Protocol)

namespace
{
int64 NowUs() { return static_cast<int64>(FPlatformTime::Seconds() * 1e6); }
std::string Utf8(const FString& S) { return std::string(TCHAR_TO_UTF8(*S)); }
FString Tchar(const std::string& S) { return FString(UTF8_TO_TCHAR(S.c_str())); }
constexpr double kMaxReconnectDelay = 10.0;

UFacePlexSubsystem* GetSubsystem(const UActorComponent* C)
{
	const UWorld* World = C->GetWorld();
	UGameInstance* GI = World ? World->GetGameInstance() : nullptr;
	return GI ? GI->GetSubsystem<UFacePlexSubsystem>() : nullptr;
}
}  // namespace

UFacePlexCharacterComponent::UFacePlexCharacterComponent()
{
	PrimaryComponentTick.bCanEverTick = true;
	PrimaryComponentTick.TickGroup = TG_PrePhysics;  // face curves ready before animation evaluates
}

TArray<FString> UFacePlexCharacterComponent::GetEmotionOptions()
{
	return {TEXT("neutral"), TEXT("happy"), TEXT("sad"), TEXT("angry"), TEXT("surprised"), TEXT("afraid"), TEXT("disgusted")};
}

TArray<FString> UFacePlexCharacterComponent::GetInterruptionOptions()
{
	return {TEXT("interrupt"), TEXT("duck"), TEXT("ignore")};
}

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
		// Two FacePlex characters on one actor must not both create an object named "FacePlexAudio":
		// MakeUniqueObjectName(UObject* Parent, const UClass* Class, FName BaseName) -- UObjectGlobals.h.
		const FName Name = MakeUniqueObjectName(GetOwner(), UFacePlexAudioComponent::StaticClass(),
		                                        *FString::Printf(TEXT("FacePlexAudio_%s"), *GetName()));
		AudioComponent = NewObject<UFacePlexAudioComponent>(GetOwner(), Name);
		AudioComponent->SetupAttachment(GetOwner()->GetRootComponent());
		AudioComponent->RegisterComponent();
	}
	AudioComponent->OutputLatencyMs = Settings->OutputLatencyMs;

	if (UFacePlexSubsystem* Subsystem = GetSubsystem(this))
	{
		if (TSharedPtr<FFacePlexLiveLinkSource> Source = Subsystem->GetLiveLinkSource())
		{
			Source->AddSubject(LiveLinkSubject);
		}
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
			Source->RemoveSubject(LiveLinkSubject);
		}
	}
	DispatchEvents();  // the "disconnected" cancellations of what was still open
	Super::EndPlay(Reason);
}

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
	if (const auto* Welcome = std::get_if<FacePlexCore::WelcomeMsg>(&R.Msg))
	{
		LiveLinkMap = FacePlexCore::LiveLinkChannelMap(Welcome->Channels);
		bWasOpen = true;
		AudioComponent->StartStreaming(Session, static_cast<int32>(Welcome->Audio.SampleRate));
		Configure();
		for (const TPair<FString, FString>& Pending : PendingSays)
		{
			Session->Say(Utf8(Pending.Key), Utf8(Pending.Value), false, true,
			             Voice.IsEmpty() ? std::nullopt : std::optional<std::string>(Utf8(Voice)));
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

void UFacePlexCharacterComponent::Configure()
{
	if (!IsConnected())
	{
		return;  // sent at connect
	}
	FacePlexCore::SessionSettings S;
	if (!Voice.IsEmpty()) S.Voice = Utf8(Voice);
	S.Expressiveness = Expressiveness;
	S.Emotion = Utf8(Emotion);
	S.EmotionIntensity = EmotionIntensity;
	S.Interruption = Utf8(Interruption);
	S.MinInterruptionMs = MinInterruptionMs;
	S.LipsyncLookaheadMs = LookaheadMs;
	Session->Configure(S);
	Flush();
}

FString UFacePlexCharacterComponent::SendSay(const FString& Text, bool bFinal)
{
	const FString Utt = FString::Printf(TEXT("%s-%d"), *LiveLinkSubject.ToString(), ++NextUtterance);
	if (!IsConnected() && bFinal)
	{
		PendingSays.Emplace(Utt, Text);  // sent once the session is open
		return Utt;
	}
	if (!IsConnected())
	{
		return FString();  // a streamed utterance needs the session now
	}
	Session->Say(Utf8(Utt), Utf8(Text), false, bFinal, Voice.IsEmpty() ? std::nullopt : std::optional<std::string>(Utf8(Voice)));
	Flush();
	return Utt;
}

FString UFacePlexCharacterComponent::Say(const FString& Text) { return SendSay(Text, true); }

FString UFacePlexCharacterComponent::SayBegin(const FString& Text) { return SendSay(Text, false); }

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
	const FString Utt = FString::Printf(TEXT("%s-lipsync-%d"), *LiveLinkSubject.ToString(), ++NextUtterance);
	const size_t Frames = static_cast<size_t>(Pcm16.Num()) / (2 * static_cast<size_t>(NumChannels));
	// PCM16LE on every platform Unreal ships (x86-64, ARM64 little-endian): the bytes are int16s.
	Session->LipSync(Utf8(Utt), reinterpret_cast<const int16_t*>(Pcm16.GetData()), Frames, SampleRate, NumChannels,
	                 Transcript.IsEmpty() ? std::nullopt : std::optional<std::string>(Utf8(Transcript)), true);
	Flush();
	return Utt;
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
		// USoundWave::RawPCMData / RawPCMDataSize (Sound/SoundWave.h): 16-bit PCM once the wave was
		// decompressed (e.g. its decompression type is Native / fully decompressed on load).
		Pcm.Append(Sound->RawPCMData, Sound->RawPCMDataSize);
		Rate = static_cast<uint32>(Sound->GetSampleRateForCurrentPlatform());
		Channels = static_cast<uint16>(Sound->NumChannels);
	}
	if (Pcm.Num() == 0 || Rate == 0 || Channels == 0)
	{
		UE_LOG(LogTemp, Warning, TEXT("FacePlex: %s has no PCM to lip-sync here (packaged games: decompress it on load, or use LipSyncPcm)"), *Sound->GetName());
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
		PendingSays.RemoveAll([&](const TPair<FString, FString>& P) { return P.Key == UtteranceId; });
	}
	if (!IsConnected())
	{
		return;
	}
	// Drops the queued audio and frames now (the face eases to rest), then tells the daemon.
	Session->Cancel(UtteranceId.IsEmpty() ? std::nullopt : std::optional<std::string>(Utf8(UtteranceId)));
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
	DispatchEvents();  // also while disconnected: the "disconnected" cancellations
	if (!Socket && ReconnectAt > 0.0 && FPlatformTime::Seconds() >= ReconnectAt && !DaemonUrl.IsEmpty())
	{
		Connect(DaemonUrl);
	}
	if (!IsConnected())
	{
		return;
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
		switch (E.Kind)
		{
		case FacePlexCore::TimelineEventKind::UtteranceStarted: OnUtteranceStarted.Broadcast(Utt); break;
		case FacePlexCore::TimelineEventKind::UtteranceFinished: OnUtteranceFinished.Broadcast(Utt); break;
		case FacePlexCore::TimelineEventKind::UtteranceCancelled: OnUtteranceCancelled.Broadcast(Utt, Tchar(E.Reason)); break;
		case FacePlexCore::TimelineEventKind::Word:
			OnWord.Broadcast(Utt, Tchar(E.Text), static_cast<float>(E.End - E.Sample) / static_cast<float>(Rate));
			break;
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
		default: break;
		}
	}
}

void UFacePlexCharacterComponent::PublishFace()
{
	UFacePlexSubsystem* Subsystem = GetSubsystem(this);
	TSharedPtr<FFacePlexLiveLinkSource> Source = Subsystem ? Subsystem->GetLiveLinkSource() : nullptr;
	if (!Source || !AudioComponent)
	{
		return;
	}
	// The face for the sample the listener hears now -- not the newest frame received.
	const FacePlexCore::Timeline& Timeline = Session->GetTimeline();
	WireValues.SetNumZeroed(Timeline.ChannelCount());
	if (!Timeline.FaceAt(AudioComponent->GetHeardSample(), WireValues.GetData(), WireValues.Num()))
	{
		return;
	}
	LiveLinkValues.SetNumUninitialized(FacePlexCore::kLiveLinkFaceCount);
	// Weights as they are, rotations radians -> Live Link Face's degrees / 180 (LiveLinkNames.h).
	FacePlexCore::ToLiveLinkValues(LiveLinkMap, WireValues.GetData(), WireValues.Num(), LiveLinkValues.GetData());
	for (const TPair<FName, float>& Gain : CurveGains)
	{
		for (int32 i = 0; i < static_cast<int32>(FacePlexCore::kLiveLinkFaceCount); ++i)
		{
			if (Gain.Key == FName(FacePlexCore::LiveLinkFaceNames()[i]))
			{
				LiveLinkValues[i] *= Gain.Value;
			}
		}
	}
	Source->PushFrame(LiveLinkSubject, LiveLinkValues);
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
