// Project Settings > Plugins > FacePlex.
#pragma once

#include "CoreMinimal.h"
#include "Engine/DeveloperSettings.h"
#include "FacePlexSettings.generated.h"

UCLASS(Config = Game, DefaultConfig, meta = (DisplayName = "FacePlex"))
class FACEPLEX_API UFacePlexSettings : public UDeveloperSettings
{
	GENERATED_BODY()

public:
	/** Start `faceplex serve --port 0` with the game, restart it if it dies, stop it on exit. */
	UPROPERTY(Config, EditAnywhere, Category = "Daemon")
	bool bLaunchDaemon = true;

	/** The daemon executable. Empty (default): the bundle staged with the game,
	 *  <Plugin>/Binaries/ThirdParty/FacePlexDaemon/<Platform>/faceplex-daemon[.exe], else
	 *  "faceplex" on PATH. A bare name is searched in PATH ("faceplex" for a
	 *  pip-installed daemon); a relative path is anchored at the project folder. */
	UPROPERTY(Config, EditAnywhere, Category = "Daemon", meta = (EditCondition = "bLaunchDaemon"))
	FString DaemonExecutable;

	/** Extra arguments after `serve --port 0 --exit-on-stdin-eof --parent-pid PID`. */
	UPROPERTY(Config, EditAnywhere, Category = "Daemon", meta = (EditCondition = "bLaunchDaemon"))
	TArray<FString> DaemonArguments;

	/** Connect here instead when bLaunchDaemon is off (a daemon you run yourself). */
	UPROPERTY(Config, EditAnywhere, Category = "Daemon", meta = (EditCondition = "!bLaunchDaemon"))
	FString DaemonUrl = TEXT("ws://127.0.0.1:8765/");

	/** The token of that daemon (its ready line's "token", or FACEPLEX_TOKEN it was started
	 *  with), sent as hello.token. Empty for a daemon started without one. */
	UPROPERTY(Config, EditAnywhere, Category = "Daemon", meta = (EditCondition = "!bLaunchDaemon"))
	FString DaemonToken;

	/** Output audio rate in Hz (16000, 22050, 24000, 44100, 48000). */
	UPROPERTY(Config, EditAnywhere, Category = "Playback")
	int32 SampleRate = 48000;

	/** Face frames per second (30 or 60). */
	UPROPERTY(Config, EditAnywhere, Category = "Playback")
	int32 Fps = 60;

	/** Media buffered before playback starts, in ms (keep it below the daemon's lead_ms, 150). */
	UPROPERTY(Config, EditAnywhere, Category = "Playback", meta = (ClampMin = "0", ClampMax = "1000"))
	int32 PreRollMs = 60;

	/** Audio output latency in ms behind what the mixer pulled (the face, word events and playback
	 *  reports use the sample the listener hears). -1 (default): from the audio device, its buffer
	 *  length x number of buffers / its rate. Set a value for latency the engine cannot see
	 *  (Bluetooth headsets add 100-200 ms); tune by eye. */
	UPROPERTY(Config, EditAnywhere, Category = "Playback", meta = (ClampMin = "-1", ClampMax = "1000"))
	int32 OutputLatencyMs = -1;
};
