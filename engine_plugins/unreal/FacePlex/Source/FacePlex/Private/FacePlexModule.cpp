#include "FacePlexDaemonHost.h"
#include "Modules/ModuleManager.h"
#include "WebSocketsModule.h"

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
