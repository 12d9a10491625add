// One Live Link source ("FacePlex") with one subject per talking character, in ULiveLinkBasicRole:
// 61 curves named as Unreal's ARKit curves (EyeBlinkLeft ... TongueOut, HeadYaw ... RightEyeRoll),
// the same subject layout as Epic's Live Link Face source, so a MetaHuman face AnimBP works unchanged.
//
// Several characters: subjects are counted per holder (FacePlexCore::SubjectRegistry), so a
// second character claiming a subject is reported (two faces would flicker on one subject) and
// one character's EndPlay never removes a subject another one still publishes.
// Evaluation: the source asks Live Link to evaluate the latest frame (ELiveLinkSourceMode::Latest)
// instead of the default engine-time mode, which interpolates one frame behind: the character
// component already publishes the face for the sample being heard.
#pragma once

#include "CoreMinimal.h"
#include "Core/LiveLinkSubjects.h"
#include "ILiveLinkSource.h"

class ILiveLinkClient;

class FFacePlexLiveLinkSource : public ILiveLinkSource
{
public:
	/** `Holder` (a stable key: the component's path name) publishes `Subject`; announces its curve
	 *  names. Returns the other holders already publishing it (empty: unique). Game thread. */
	TArray<FString> AddSubject(FName Subject, const FString& Holder);
	/** Publish one face: 61 values in LiveLinkFaceNames() order (weights 0..1, rotations in Live Link
	 *  Face's unit, degrees / 180, as FacePlexCore::ToLiveLinkValues converts them). */
	void PushFrame(FName Subject, const TArray<float>& Values61);
	/** Publish the neutral face (every curve 0): Live Link keeps a subject's last frame while its
	 *  source is silent, so a lost daemon would otherwise freeze the mouth mid-phoneme. */
	void PushNeutral(FName Subject);
	/** `Holder` stops publishing `Subject`; the Live Link subject is removed with its last holder. */
	void RemoveSubject(FName Subject, const FString& Holder);

	// ILiveLinkSource
	virtual void ReceiveClient(ILiveLinkClient* InClient, FGuid InSourceGuid) override;
	virtual void InitializeSettings(ULiveLinkSourceSettings* Settings) override;
	virtual bool IsSourceStillValid() const override { return Client != nullptr; }
	virtual bool RequestSourceShutdown() override;
	virtual FText GetSourceType() const override;
	virtual FText GetSourceMachineName() const override;
	virtual FText GetSourceStatus() const override;

private:
	void AnnounceSubject(FName Subject);

	ILiveLinkClient* Client = nullptr;
	FGuid SourceGuid;
	FacePlexCore::SubjectRegistry Registry;
};
