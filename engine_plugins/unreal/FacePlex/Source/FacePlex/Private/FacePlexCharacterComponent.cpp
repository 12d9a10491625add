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
#include "IWebSocket.h"
#include "WebSocketsModule.h"

namespace
{
int64 NowUs() { return static_cast<int64>(FPlatformTime::Seconds() * 1e6); }
std::string Utf8(const FString& S) { return std::string(TCHAR_TO_UTF8(*S)); }
FString Tchar(const std::string& S) { return FString(UTF8_TO_TCHAR(S.c_str())); }

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
		AudioComponent = NewObject<UFacePlexAudioComponent>(GetOwner(), TEXT("FacePlexAudio"));
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
	Disconnect();
	if (UFacePlexSubsystem* Subsystem = GetSubsystem(this))
	{
		Subsystem->OnDaemonReady.Remove(DaemonReadyHandle);
		if (TSharedPtr<FFacePlexLiveLinkSource> Source = Subsystem->GetLiveLinkSource())
		{
			Source->RemoveSubject(LiveLinkSubject);
		}
	}
	Super::EndPlay(Reason);
}

void UFacePlexCharacterComponent::Connect(const FString& Url)
{
	Disconnect();
	Socket = FWebSocketsModule::Get().CreateWebSocket(Url, FString());
	Socket->OnConnected().AddWeakLambda(this, [this]() {
		Session->Hello();
		Flush();
	});
	Socket->OnRawMessage().AddUObject(this, &UFacePlexCharacterComponent::OnSocketMessage);
	Socket->OnConnectionError().AddWeakLambda(this, [this](const FString& Error) {
		UE_LOG(LogTemp, Warning, TEXT("FacePlex: cannot connect to the daemon: %s"), *Error);
	});
	Socket->OnClosed().AddWeakLambda(this, [this](int32, const FString&, bool) {
		if (bWasOpen)
		{
			bWasOpen = false;
			OnDisconnected.Broadcast();
		}
	});
	Socket->Connect();
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
		Socket->OnRawMessage().RemoveAll(this);
		Socket->OnConnectionError().RemoveAll(this);
		Socket->OnClosed().RemoveAll(this);
		Socket->Close();
		Socket.Reset();
	}
	if (bWasOpen)
	{
		bWasOpen = false;
		OnDisconnected.Broadcast();
	}
}

void UFacePlexCharacterComponent::OnSocketMessage(const void* Data, SIZE_T Size, SIZE_T BytesRemaining)
{
	// Game thread. A large message may arrive in fragments: decode when it is complete.
	Partial.Append(static_cast<const uint8*>(Data), Size);
	if (BytesRemaining > 0)
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

FString UFacePlexCharacterComponent::Say(const FString& Text)
{
	const FString Utt = FString::Printf(TEXT("%s-%d"), *LiveLinkSubject.ToString(), ++NextUtterance);
	if (!IsConnected())
	{
		PendingSays.Emplace(Utt, Text);  // sent once the session is open
		return Utt;
	}
	Session->Say(Utf8(Utt), Utf8(Text), false, true, Voice.IsEmpty() ? std::nullopt : std::optional<std::string>(Utf8(Voice)));
	Flush();
	return Utt;
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
	if (!IsConnected())
	{
		return;
	}
	DispatchEvents();
	PublishFace();
	Session->MaybeReportPlayback(NowUs());
	Flush();
}

void UFacePlexCharacterComponent::DispatchEvents()
{
	const int64 Rate = Session->GetTimeline().SampleRate();
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
	FacePlexCore::ToLiveLinkValues(LiveLinkMap, WireValues.GetData(), WireValues.Num(), LiveLinkValues.GetData());
	Source->PushFrame(LiveLinkSubject, LiveLinkValues);
}

void UFacePlexCharacterComponent::Flush()
{
	for (const std::vector<uint8_t>& Bytes : Session->TakeOutgoing())
	{
		if (Socket && Socket->IsConnected())
		{
			Socket->Send(Bytes.data(), Bytes.size(), /*bIsBinary=*/true);
		}
	}
}
