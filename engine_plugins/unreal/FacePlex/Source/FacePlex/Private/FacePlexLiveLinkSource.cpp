#include "FacePlexLiveLinkSource.h"

#include "Core/LiveLinkNames.h"
#include "ILiveLinkClient.h"               // Engine/Source/Runtime/LiveLinkInterface/Public/ILiveLinkClient.h
#include "LiveLinkSourceSettings.h"        // ULiveLinkSourceSettings::Mode, ELiveLinkSourceMode (LiveLinkInterface/Public)
#include "LiveLinkTypes.h"
#include "Roles/LiveLinkBasicRole.h"
#include "Roles/LiveLinkBasicTypes.h"

#define LOCTEXT_NAMESPACE "FacePlexLiveLinkSource"

namespace
{
std::string Utf8(const FString& S) { return std::string(TCHAR_TO_UTF8(*S)); }
}

void FFacePlexLiveLinkSource::ReceiveClient(ILiveLinkClient* InClient, FGuid InSourceGuid)
{
	Client = InClient;
	SourceGuid = InSourceGuid;
	for (const auto& Held : Registry.Subjects())
	{
		AnnounceSubject(FName(UTF8_TO_TCHAR(Held.first.c_str())));
	}
}

void FFacePlexLiveLinkSource::InitializeSettings(ULiveLinkSourceSettings* Settings)
{
	// virtual void ILiveLinkSource::InitializeSettings(ULiveLinkSourceSettings* Settings), called
	// after ReceiveClient (ILiveLinkSource.h). ULiveLinkSourceSettings::Mode defaults to
	// ELiveLinkSourceMode::EngineTime; Latest "will use the latest frame available to evaluate its
	// subjects ... no interpolation or time synchronization" (LiveLinkSourceSettings.h).
	if (Settings)
	{
		Settings->Mode = ELiveLinkSourceMode::Latest;
	}
}

TArray<FString> FFacePlexLiveLinkSource::AddSubject(FName Subject, const FString& Holder)
{
	TArray<FString> Others;
	for (const std::string& Other : Registry.Claim(Utf8(Subject.ToString()), Utf8(Holder)))
	{
		Others.Add(FString(UTF8_TO_TCHAR(Other.c_str())));
	}
	AnnounceSubject(Subject);
	return Others;
}

void FFacePlexLiveLinkSource::AnnounceSubject(FName Subject)
{
	if (!Client)
	{
		return;
	}
	FLiveLinkStaticDataStruct StaticData(FLiveLinkBaseStaticData::StaticStruct());
	FLiveLinkBaseStaticData* Base = StaticData.Cast<FLiveLinkBaseStaticData>();
	for (size_t i = 0; i < FacePlexCore::kLiveLinkFaceCount; ++i)
	{
		Base->PropertyNames.Add(FName(FacePlexCore::LiveLinkFaceNames()[i]));
	}
	Client->PushSubjectStaticData_AnyThread(FLiveLinkSubjectKey(SourceGuid, Subject), ULiveLinkBasicRole::StaticClass(), MoveTemp(StaticData));
}

void FFacePlexLiveLinkSource::PushFrame(FName Subject, const TArray<float>& Values61)
{
	if (!Client)
	{
		return;
	}
	FLiveLinkFrameDataStruct FrameData(FLiveLinkBaseFrameData::StaticStruct());
	FLiveLinkBaseFrameData* Frame = FrameData.Cast<FLiveLinkBaseFrameData>();
	Frame->WorldTime = FLiveLinkWorldTime();
	Frame->PropertyValues = Values61;
	Client->PushSubjectFrameData_AnyThread(FLiveLinkSubjectKey(SourceGuid, Subject), MoveTemp(FrameData));
}

void FFacePlexLiveLinkSource::PushNeutral(FName Subject)
{
	TArray<float> Zeros;
	Zeros.SetNumZeroed(FacePlexCore::kLiveLinkFaceCount);
	PushFrame(Subject, Zeros);
}

void FFacePlexLiveLinkSource::RemoveSubject(FName Subject, const FString& Holder)
{
	if (Registry.Release(Utf8(Subject.ToString()), Utf8(Holder)) && Client)
	{
		Client->RemoveSubject_AnyThread(FLiveLinkSubjectKey(SourceGuid, Subject));
	}
}

bool FFacePlexLiveLinkSource::RequestSourceShutdown()
{
	Client = nullptr;
	return true;
}

FText FFacePlexLiveLinkSource::GetSourceType() const { return LOCTEXT("SourceType", "FacePlex"); }
FText FFacePlexLiveLinkSource::GetSourceMachineName() const { return FText::FromString(FPlatformProcess::ComputerName()); }
FText FFacePlexLiveLinkSource::GetSourceStatus() const
{
	return FText::Format(LOCTEXT("Status", "{0} subject(s)"), FText::AsNumber(static_cast<int32>(Registry.Subjects().size())));
}

#undef LOCTEXT_NAMESPACE
