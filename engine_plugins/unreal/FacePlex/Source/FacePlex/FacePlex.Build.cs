// FacePlex runtime module: thin UE glue (Public/, Private/*.cpp) over an engine-free C++17 core
// (Private/Core/: msgpack codec, session, timeline, daemon launcher; no UE headers).
using System.IO;
using UnrealBuildTool;

public class FacePlex : ModuleRules
{
	public FacePlex(ReadOnlyTargetRules Target) : base(Target)
	{
		PCHUsage = PCHUsageMode.UseExplicitOrSharedPCHs;
		// Core/*.cpp are plain C++ translation units (ProcessWin32.cpp includes <windows.h>);
		// keep them out of unity blobs so nothing leaks between them and UE code.
		bUseUnity = false;

		PublicDependencyModuleNames.AddRange(new string[]
		{
			"Core", "CoreUObject", "Engine", "DeveloperSettings",
			"LiveLinkInterface",   // ILiveLinkClient / ILiveLinkSource, ULiveLinkBasicRole
		});
		PrivateDependencyModuleNames.AddRange(new string[]
		{
			"WebSockets",          // IWebSocket: the transport feeding bytes into the sans-I/O core
			"Projects",            // IPluginManager: the plugin's folder, where the daemon bundle may live
			"AudioCaptureCore",    // Audio::FAudioCapture (AudioCapture plugin): the player's microphone
		});
		// USoundWaveProcedural lives in Engine; no AudioMixer dependency is needed.
		PrivateIncludePaths.Add(Path.Combine(ModuleDirectory, "Private"));
		StageDaemonBundle(Target);
	}

	/// The self-contained daemon (`faceplex bundle -o DIR`, README "Shipping your game") is copied
	/// by the developer to <Plugin>/Binaries/ThirdParty/FacePlexDaemon/<Platform>/ (Platform: Win64,
	/// Mac, Linux as UBT names them). Every file in it is staged into packaged builds as a
	/// RuntimeDependency (ModuleRules.RuntimeDependencyList.Add(string, StagedFileType),
	/// UnrealBuildTool/Configuration/ModuleRules.cs), NonUFS: a loose file on disk beside the game,
	/// not inside the .pak, because the OS must execute it. A dedicated server never launches it,
	/// so server targets stage nothing. The files are listed one by one rather than by wildcard so
	/// that what is staged is exactly what is there when UBT runs.
	private void StageDaemonBundle(ReadOnlyTargetRules Target)
	{
		if (Target.Type == TargetType.Server)
		{
			return;
		}
		string BundleDir = Path.Combine(PluginDirectory, "Binaries", "ThirdParty", "FacePlexDaemon", Target.Platform.ToString());
		if (!Directory.Exists(BundleDir))
		{
			return;  // development: FacePlex falls back to `faceplex` on PATH
		}
		foreach (string File in Directory.EnumerateFiles(BundleDir, "*", SearchOption.AllDirectories))
		{
			RuntimeDependencies.Add(File, StagedFileType.NonUFS);
		}
	}
}
