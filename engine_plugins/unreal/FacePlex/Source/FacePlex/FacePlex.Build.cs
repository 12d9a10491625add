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
			"AudioCaptureCore",    // Audio::FAudioCapture (AudioCapture plugin): the player's microphone
		});
		// USoundWaveProcedural lives in Engine; no AudioMixer dependency is needed.
		PrivateIncludePaths.Add(Path.Combine(ModuleDirectory, "Private"));
	}
}
