// The one FacePlex daemon of this process (issue 20): which executable (the staged bundle, a
// configured path, or `faceplex` on PATH), whether to launch at all (never on a dedicated server),
// and how long it lives. In a game it lives with the game instance; in the editor it outlives
// every PIE session (no warm-up per Play) and is stopped when the module shuts down with the
// editor; if the editor crashes the daemon exits by itself (`--parent-pid`, polled every 0.5 s).
#pragma once

#include "CoreMinimal.h"

namespace FacePlexCore { class DaemonLauncher; }

class FFacePlexDaemonHost
{
public:
	/** The daemon bundle's folder for this platform inside `Root`:
	 *  Root/Binaries/ThirdParty/FacePlexDaemon/<Win64|Mac|Linux>/ (the UBT platform names the
	 *  .uplugin's PlatformAllowList and FacePlex.Build.cs use). */
	static FString BundleFolder(const FString& Root);

	/** The executable to launch: the DaemonExecutable setting when it is set (a relative path is
	 *  anchored at the project folder, FPaths::ProjectDir(); a bare name such as "faceplex" is
	 *  searched in PATH); else the bundle in the plugin's BundleFolder; else
	 *  "faceplex" on PATH (a developer machine with `pip install faceplex`). */
	static FString ResolveExecutable();

	/** False on a dedicated server (IsRunningDedicatedServer(), CoreGlobals.h) and when the
	 *  bLaunchDaemon setting is off. */
	static bool ShouldLaunch();

	/** The shared launcher, started on first use. Every UFacePlexSubsystem calls Acquire in
	 *  Initialize and Release in Deinitialize. */
	static TSharedPtr<FacePlexCore::DaemonLauncher> Acquire();
	/** In a game the last Release stops the daemon; in the editor (GIsEditor) it keeps running
	 *  for the next PIE session. */
	static void Release();
	/** Stop the daemon now (module shutdown: the editor or game is closing). */
	static void Shutdown();

private:
	static TSharedPtr<FacePlexCore::DaemonLauncher> Launcher;
	static int32 Users;
};
