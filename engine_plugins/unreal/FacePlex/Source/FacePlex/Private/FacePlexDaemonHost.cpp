#include "FacePlexDaemonHost.h"

#include "Core/DaemonLauncher.h"
#include "Core/Process.h"
#include "CoreGlobals.h"                   // IsRunningDedicatedServer(), GIsEditor
#include "FacePlexSettings.h"
#include "HAL/PlatformProcess.h"           // FPlatformProcess::GetCurrentProcessId()
#include "HAL/PlatformTime.h"
#include "Interfaces/IPluginManager.h"     // IPluginManager::Get().FindPlugin(...)->GetBaseDir() (Projects module)
#include "Misc/Paths.h"                    // FPaths::ProjectDir(), ProjectLogDir(), Combine, ConvertRelativePathToFull

TSharedPtr<FacePlexCore::DaemonLauncher> FFacePlexDaemonHost::Launcher;
int32 FFacePlexDaemonHost::Users = 0;

namespace
{
int64 NowMs() { return static_cast<int64>(FPlatformTime::Seconds() * 1000.0); }

// The UBT platform name FacePlex.Build.cs stages the bundle under (Target.Platform.ToString()).
const TCHAR* BundlePlatformName()
{
#if PLATFORM_WINDOWS
	return TEXT("Win64");
#elif PLATFORM_MAC
	return TEXT("Mac");
#else
	return TEXT("Linux");
#endif
}
}

FString FFacePlexDaemonHost::BundleFolder(const FString& Root)
{
	return FPaths::ConvertRelativePathToFull(FPaths::Combine(Root, TEXT("Binaries"), TEXT("ThirdParty"), TEXT("FacePlexDaemon"), BundlePlatformName()));
}

FString FFacePlexDaemonHost::ResolveExecutable()
{
	const FString Configured = GetDefault<UFacePlexSettings>()->DaemonExecutable.TrimStartAndEnd();
	if (!Configured.IsEmpty())
	{
		// "faceplex" (no folder part) is looked up in PATH by the process spawner; a path with a
		// folder part is anchored at the project, not at the process's working directory.
		const bool bHasFolder = Configured.Contains(TEXT("/")) || Configured.Contains(TEXT("\\"));
		return bHasFolder && FPaths::IsRelative(Configured)
			? FPaths::ConvertRelativePathToFull(FPaths::ProjectDir(), Configured)
			: Configured;
	}
	// The plugin's folder is where FacePlex.Build.cs stages the bundle from, and where a packaged
	// game finds it again (the staged layout keeps the plugin's relative path).
	const TSharedPtr<IPlugin> Plugin = IPluginManager::Get().FindPlugin(TEXT("FacePlex"));
	const FString Folder = Plugin ? BundleFolder(Plugin->GetBaseDir()) : FString();
	const std::string Found = FacePlexCore::FindBundledDaemon({std::string(TCHAR_TO_UTF8(*Folder))});
	if (!Found.empty())
	{
		return UTF8_TO_TCHAR(Found.c_str());
	}
	UE_LOG(LogTemp, Log, TEXT("FacePlex: no daemon bundle in %s; using `faceplex` from PATH"), *Folder);
	return TEXT("faceplex");
}

bool FFacePlexDaemonHost::ShouldLaunch()
{
	// A dedicated server has no faces to animate and no audio to play.
	return !IsRunningDedicatedServer() && GetDefault<UFacePlexSettings>()->bLaunchDaemon;
}

TSharedPtr<FacePlexCore::DaemonLauncher> FFacePlexDaemonHost::Acquire()
{
	++Users;
	if (Launcher)
	{
		return Launcher;  // the editor's daemon from an earlier PIE session, already warm
	}
	const UFacePlexSettings* Settings = GetDefault<UFacePlexSettings>();
	std::vector<std::string> Extra;
	for (const FString& Arg : Settings->DaemonArguments)
	{
		Extra.push_back(TCHAR_TO_UTF8(*Arg));
	}
	FacePlexCore::DaemonLauncherOptions Options;
	// --parent-pid: the daemon exits when this process does, even when it crashes and in the
	// editor, where it outlives each PIE session (stdin EOF still stops it in a packaged game).
	Options.Command = FacePlexCore::DaemonCommand(TCHAR_TO_UTF8(*ResolveExecutable()),
		static_cast<int64_t>(FPlatformProcess::GetCurrentProcessId()), std::string(), Extra);
	// The daemon's stderr (its log and any traceback) goes to Saved/Logs/FacePlexDaemon.log: a
	// Windows game has no stderr of its own to inherit, and the bundle folder may be read-only.
	Options.StderrPath = TCHAR_TO_UTF8(*FPaths::ConvertRelativePathToFull(FPaths::ProjectLogDir() / TEXT("FacePlexDaemon.log")));
	Launcher = MakeShared<FacePlexCore::DaemonLauncher>(Options);
	if (!Launcher->Start(NowMs()))
	{
		UE_LOG(LogTemp, Warning, TEXT("FacePlex: could not start the daemon: %s (retrying)"), UTF8_TO_TCHAR(Launcher->LastError().c_str()));
	}
	return Launcher;
}

void FFacePlexDaemonHost::Release()
{
	Users = FMath::Max(0, Users - 1);
	if (Users == 0 && !GIsEditor)
	{
		Shutdown();
	}
}

void FFacePlexDaemonHost::Shutdown()
{
	if (Launcher)
	{
		Launcher->Stop();  // closes the daemon's stdin; it exits (terminated after a grace period)
		Launcher.Reset();
	}
	Users = 0;
}
