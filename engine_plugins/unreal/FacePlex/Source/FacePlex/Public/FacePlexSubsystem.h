// Game-instance lifetime: ticks the process's one daemon (FFacePlexDaemonHost: launch, restart
// with back-off; stopped with the game, or with the editor after every PIE session) and owns the
// one Live Link source that publishes a subject per talking character.
#pragma once

#include "CoreMinimal.h"
#include "Subsystems/GameInstanceSubsystem.h"
#include "Tickable.h"
#include "FacePlexSubsystem.generated.h"

class FFacePlexLiveLinkSource;
namespace FacePlexCore { class DaemonLauncher; }

DECLARE_MULTICAST_DELEGATE_OneParam(FOnFacePlexDaemonReady, const FString& /*Url*/);

UCLASS()
class FACEPLEX_API UFacePlexSubsystem : public UGameInstanceSubsystem, public FTickableGameObject
{
	GENERATED_BODY()

public:
	virtual void Initialize(FSubsystemCollectionBase& Collection) override;
	virtual void Deinitialize() override;

	/** ws:// address of the ready daemon; empty while it is (re)starting. */
	UFUNCTION(BlueprintPure, Category = "FacePlex")
	FString GetDaemonUrl() const { return DaemonUrl; }

	/** The daemon's per-launch secret for hello.token: from the launched daemon's ready line, or
	 *  the DaemonToken setting for a daemon the game did not launch. Never log it. */
	FString GetDaemonToken() const { return DaemonToken; }

	/** Broadcast whenever a daemon became ready (again): components (re)connect. */
	FOnFacePlexDaemonReady OnDaemonReady;

	/** The Live Link source characters publish their subjects on (nullptr without Live Link). */
	TSharedPtr<FFacePlexLiveLinkSource> GetLiveLinkSource() const { return LiveLinkSource; }

	// FTickableGameObject
	virtual void Tick(float DeltaTime) override;
	virtual TStatId GetStatId() const override { RETURN_QUICK_DECLARE_CYCLE_STAT(UFacePlexSubsystem, STATGROUP_Tickables); }
	virtual ETickableTickType GetTickableTickType() const override { return ETickableTickType::Conditional; }
	virtual bool IsTickable() const override { return !IsTemplate(); }
	virtual bool IsTickableWhenPaused() const override { return true; }

private:
	TSharedPtr<FacePlexCore::DaemonLauncher> Launcher;
	TSharedPtr<FFacePlexLiveLinkSource> LiveLinkSource;
	FGuid LiveLinkSourceGuid;
	FString DaemonUrl;
	FString DaemonToken;
	int64 AnnouncedPid = 0;  // the daemon this subsystem last broadcast OnDaemonReady for
	bool bReportedIncompatible = false;
};
