#include "FacePlexLiveLinkSource.h"

#include "Core/LiveLinkNames.h"
#include "ILiveLinkClient.h"
#include "LiveLinkTypes.h"
#include "Roles/LiveLinkBasicRole.h"
#include "Roles/LiveLinkBasicTypes.h"

#define LOCTEXT_NAMESPACE "FacePlexLiveLinkSource"

void FFacePlexLiveLinkSource::ReceiveClient(ILiveLinkClient* InClient, FGuid InSourceGuid)
{
	Client = InClient;
	SourceGuid = InSourceGuid;
	for (const FName Subject : Subjects)
	{
		AddSubject(Subject);
	}
}

void FFacePlexLiveLinkSource::AddSubject(FName Subject)
{
	Subjects.Add(Subject);
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

void FFacePlexLiveLinkSource::RemoveSubject(FName Subject)
{
	Subjects.Remove(Subject);
	if (Client)
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
	return FText::Format(LOCTEXT("Status", "{0} subject(s)"), FText::AsNumber(Subjects.Num()));
}

#undef LOCTEXT_NAMESPACE
