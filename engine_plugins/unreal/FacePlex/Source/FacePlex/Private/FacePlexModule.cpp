#include "Modules/ModuleManager.h"
#include "WebSocketsModule.h"

/** Loads the WebSockets module the character components connect with. */
class FFacePlexModule : public IModuleInterface
{
public:
	virtual void StartupModule() override
	{
		FModuleManager::LoadModuleChecked<FWebSocketsModule>(TEXT("WebSockets"));
	}
};

IMPLEMENT_MODULE(FFacePlexModule, FacePlex)
