// One Live Link source ("FacePlex") with one subject per talking character, in ULiveLinkBasicRole:
// 61 curves named as Unreal's ARKit curves (EyeBlinkLeft ... TongueOut, HeadYaw ... RightEyeRoll),
// the same subject layout as Epic's Live Link Face source, so a MetaHuman face AnimBP works unchanged.
#pragma once

#include "CoreMinimal.h"
#include "ILiveLinkSource.h"

class ILiveLinkClient;

class FFacePlexLiveLinkSource : public ILiveLinkSource
{
public:
	/** Announce `Subject` (its curve names). Game thread. */
	void AddSubject(FName Subject);
	/** Publish one face: 61 values in LiveLinkFaceNames() order (weights 0..1, rotations in Live Link
	 *  Face's unit, degrees / 180, as FacePlexCore::ToLiveLinkValues converts them). */
	void PushFrame(FName Subject, const TArray<float>& Values61);
	void RemoveSubject(FName Subject);

	// ILiveLinkSource
	virtual void ReceiveClient(ILiveLinkClient* InClient, FGuid InSourceGuid) override;
	virtual bool IsSourceStillValid() const override { return Client != nullptr; }
	virtual bool RequestSourceShutdown() override;
	virtual FText GetSourceType() const override;
	virtual FText GetSourceMachineName() const override;
	virtual FText GetSourceStatus() const override;

private:
	ILiveLinkClient* Client = nullptr;
	FGuid SourceGuid;
	TSet<FName> Subjects;
};
