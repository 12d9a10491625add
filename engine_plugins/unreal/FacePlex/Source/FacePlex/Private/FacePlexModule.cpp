#include "FacePlexDaemonHost.h"
#include "Modules/ModuleManager.h"
#include "Runtime/Launch/Resources/Version.h"  // ENGINE_MAJOR_VERSION, ENGINE_MINOR_VERSION
#include "WebSocketsModule.h"

// Supported engines: Unreal Engine 5.3 and later. The microphone uses the audio-capture API that
// came with 5.3 (Audio::FAudioCapture::OpenAudioCaptureStream with FOnAudioCaptureFunction and
// EPCMAudioEncoding; 5.2 and older have OpenCaptureStream / FOnCaptureFunction), so an older
// engine gets this one clear error instead of a page of unknown identifiers.
static_assert(ENGINE_MAJOR_VERSION > 5 || (ENGINE_MAJOR_VERSION == 5 && ENGINE_MINOR_VERSION >= 3),
              "FacePlex needs Unreal Engine 5.3 or later (see the plugin README, 'Engine versions').");

/** Loads the WebSockets module the character components connect with; stops the daemon when the
 *  module shuts down (the editor or game closing: the editor's daemon outlives PIE sessions). */
class FFacePlexModule : public IModuleInterface
{
public:
	virtual void StartupModule() override
	{
		FModuleManager::LoadModuleChecked<FWebSocketsModule>(TEXT("WebSockets"));
	}

	virtual void ShutdownModule() override
	{
		FFacePlexDaemonHost::Shutdown();
	}
};

IMPLEMENT_MODULE(FFacePlexModule, FacePlex)
