#include "FacePlexSubsystem.h"

#include "Core/DaemonLauncher.h"
#include "FacePlexLiveLinkSource.h"
#include "FacePlexSettings.h"
#include "Features/IModularFeatures.h"
#include "ILiveLinkClient.h"
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

	if (!Settings->bLaunchDaemon)
	{
		DaemonUrl = Settings->DaemonUrl;
		DaemonToken = Settings->DaemonToken;
		return;
	}
	FacePlexCore::DaemonLauncherOptions Options;
	Options.Command = {TCHAR_TO_UTF8(*Settings->DaemonExecutable), "serve", "--port", "0", "--exit-on-stdin-eof"};
	for (const FString& Arg : Settings->DaemonArguments)
	{
		Options.Command.push_back(TCHAR_TO_UTF8(*Arg));
	}
	// The daemon's stderr (its log and any traceback) goes to Saved/Logs/FacePlexDaemon.log: a
	// Windows game has no stderr of its own to inherit.
	Options.StderrPath = TCHAR_TO_UTF8(*FPaths::ConvertRelativePathToFull(FPaths::ProjectLogDir() / TEXT("FacePlexDaemon.log")));
	Launcher = MakeShared<FacePlexCore::DaemonLauncher>(Options);
	if (!Launcher->Start(NowMs()))
	{
		UE_LOG(LogTemp, Warning, TEXT("FacePlex: could not start the daemon: %s (retrying)"), UTF8_TO_TCHAR(Launcher->LastError().c_str()));
	}
}

void UFacePlexSubsystem::Tick(float DeltaTime)
{
	if (!Launcher)
	{
		return;
	}
	const FacePlexCore::DaemonState Before = Launcher->State();
	if (Launcher->Tick(NowMs()))
	{
		DaemonUrl = UTF8_TO_TCHAR(Launcher->Ready().Url.c_str());
		DaemonToken = UTF8_TO_TCHAR(Launcher->Ready().Token.c_str());  // never logged
		UE_LOG(LogTemp, Log, TEXT("FacePlex: daemon ready at %s"), *DaemonUrl);
		OnDaemonReady.Broadcast(DaemonUrl);
	}
	else if (Before == FacePlexCore::DaemonState::Running && Launcher->State() != Before)
	{
		DaemonUrl.Reset();
		UE_LOG(LogTemp, Warning, TEXT("FacePlex: %s; restarting"), UTF8_TO_TCHAR(Launcher->LastError().c_str()));
	}
}

void UFacePlexSubsystem::Deinitialize()
{
	if (Launcher)
	{
		Launcher->Stop();  // closes the daemon's stdin; it exits (terminated after a grace period)
		Launcher.Reset();
	}
	IModularFeatures& Features = IModularFeatures::Get();
	if (LiveLinkSource && Features.IsModularFeatureAvailable(ILiveLinkClient::ModularFeatureName))
	{
		Features.GetModularFeature<ILiveLinkClient>(ILiveLinkClient::ModularFeatureName).RemoveSource(LiveLinkSourceGuid);
	}
	LiveLinkSource.Reset();
	Super::Deinitialize();
}
