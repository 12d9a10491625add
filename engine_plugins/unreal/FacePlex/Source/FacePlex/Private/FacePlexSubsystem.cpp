#include "FacePlexSubsystem.h"

#include "Core/DaemonLauncher.h"
#include "FacePlexDaemonHost.h"
#include "FacePlexLiveLinkSource.h"
#include "FacePlexSettings.h"
#include "Features/IModularFeatures.h"
#include "ILiveLinkClient.h"
#include "CoreGlobals.h"   // IsRunningDedicatedServer()
#include "Misc/Paths.h"   // FPaths::ProjectLogDir()

namespace
{
int64 NowMs() { return static_cast<int64>(FPlatformTime::Seconds() * 1000.0); }
}

void UFacePlexSubsystem::Initialize(FSubsystemCollectionBase& Collection)
{
	Super::Initialize(Collection);
	const UFacePlexSettings* Settings = GetDefault<UFacePlexSettings>();

	IModularFeatures& Features = IModularFeatures::Get();
	if (Features.IsModularFeatureAvailable(ILiveLinkClient::ModularFeatureName))
	{
		ILiveLinkClient& Client = Features.GetModularFeature<ILiveLinkClient>(ILiveLinkClient::ModularFeatureName);
		LiveLinkSource = MakeShared<FFacePlexLiveLinkSource>();
		LiveLinkSourceGuid = Client.AddSource(LiveLinkSource);
	}

	if (IsRunningDedicatedServer())  // CoreGlobals.h: no faces or audio on a dedicated server
	{
		UE_LOG(LogTemp, Log, TEXT("FacePlex: dedicated server: no daemon is launched or connected"));
		return;
	}
	if (!FFacePlexDaemonHost::ShouldLaunch())
	{
		DaemonUrl = Settings->DaemonUrl;  // a daemon run elsewhere
		DaemonToken = Settings->DaemonToken;
		return;
	}
	// One daemon per process (FFacePlexDaemonHost): in the editor it is the one earlier PIE
	// sessions used, already warm; Tick reports it ready on this session's first tick.
	Launcher = FFacePlexDaemonHost::Acquire();
	AnnouncedPid = 0;
	bReportedIncompatible = false;
}

void UFacePlexSubsystem::Tick(float DeltaTime)
{
	if (!Launcher)
	{
		return;
	}
	// The launcher is shared (FFacePlexDaemonHost): in the editor several PIE game instances tick it,
	// and a daemon may already be running when this one began. Each subsystem announces every
	// daemon (by pid) once, however many others ticked it first.
	Launcher->Tick(NowMs());
	if (Launcher->State() == FacePlexCore::DaemonState::Incompatible)
	{
		// Another protocol version: the core stopped it and will not restart it (PROTOCOL.md §9).
		if (!bReportedIncompatible)
		{
			bReportedIncompatible = true;
			DaemonUrl.Reset();
			const auto& Info = Launcher->Incompatible();
			UE_LOG(LogTemp, Error, TEXT("%s"), UTF8_TO_TCHAR((Info ? Info->Message : Launcher->LastError()).c_str()));
		}
		return;
	}
	const bool bRunning = Launcher->State() == FacePlexCore::DaemonState::Running;
	if (bRunning && Launcher->Ready().Pid != AnnouncedPid)
	{
		AnnouncedPid = Launcher->Ready().Pid;
		DaemonUrl = UTF8_TO_TCHAR(Launcher->Ready().Url.c_str());
		DaemonToken = UTF8_TO_TCHAR(Launcher->Ready().Token.c_str());  // never logged
		UE_LOG(LogTemp, Log, TEXT("FacePlex: daemon ready at %s"), *DaemonUrl);
		OnDaemonReady.Broadcast(DaemonUrl);
	}
	else if (!bRunning && !DaemonUrl.IsEmpty())
	{
		DaemonUrl.Reset();
		UE_LOG(LogTemp, Warning, TEXT("FacePlex: %s; restarting"), UTF8_TO_TCHAR(Launcher->LastError().c_str()));
	}
}

void UFacePlexSubsystem::Deinitialize()
{
	if (Launcher)
	{
		Launcher.Reset();
		FFacePlexDaemonHost::Release();  // a game stops it here; the editor keeps it for the next PIE
	}
	IModularFeatures& Features = IModularFeatures::Get();
	if (LiveLinkSource && Features.IsModularFeatureAvailable(ILiveLinkClient::ModularFeatureName))
	{
		Features.GetModularFeature<ILiveLinkClient>(ILiveLinkClient::ModularFeatureName).RemoveSource(LiveLinkSourceGuid);
	}
	LiveLinkSource.Reset();
	Super::Deinitialize();
}
