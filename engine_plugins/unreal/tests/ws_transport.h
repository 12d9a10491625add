// Test-only WebSocket transport for the sans-I/O core: websocketpp + standalone asio.
// (Inside Unreal the plugin uses the engine's IWebSocket module instead and feeds the same core.)
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <websocketpp/client.hpp>
#include <websocketpp/config/asio_no_tls_client.hpp>

class WsTransport {
public:
    using Client = websocketpp::client<websocketpp::config::asio_client>;

    ~WsTransport() { Close(); }

    /** Connect and wait for the handshake; false on failure (reason in Error()). */
    bool Connect(const std::string& url, int timeoutMs = 5000)
    {
        client_.clear_access_channels(websocketpp::log::alevel::all);
        client_.clear_error_channels(websocketpp::log::elevel::all);
        client_.init_asio();
        client_.set_open_handler([this](websocketpp::connection_hdl) { SetState(1); });
        client_.set_fail_handler([this](websocketpp::connection_hdl) { SetState(-1); });
        client_.set_close_handler([this](websocketpp::connection_hdl) { SetState(-1); });
        client_.set_message_handler([this](websocketpp::connection_hdl, Client::message_ptr msg) {
            std::lock_guard<std::mutex> lock(mutex_);
            if (msg->get_opcode() == websocketpp::frame::opcode::binary) {
                const std::string& p = msg->get_payload();
                inbox_.emplace_back(p.begin(), p.end());
            }
            cv_.notify_all();
        });
        websocketpp::lib::error_code ec;
        Client::connection_ptr con = client_.get_connection(url, ec);
        if (ec) { error_ = ec.message(); return false; }
        hdl_ = con->get_handle();
        client_.connect(con);
        thread_ = std::thread([this] { client_.run(); });
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait_for(lock, std::chrono::milliseconds(timeoutMs), [this] { return state_ != 0; });
        if (state_ != 1) error_ = "connect failed";
        return state_ == 1;
    }

    bool Send(const std::vector<uint8_t>& data)
    {
        websocketpp::lib::error_code ec;
        client_.send(hdl_, data.data(), data.size(), websocketpp::frame::opcode::binary, ec);
        return !ec;
    }

    /** Messages received so far (waits up to `waitMs` for the first one). */
    std::vector<std::vector<uint8_t>> Receive(int waitMs)
    {
        std::unique_lock<std::mutex> lock(mutex_);
        cv_.wait_for(lock, std::chrono::milliseconds(waitMs), [this] { return !inbox_.empty() || state_ < 0; });
        std::vector<std::vector<uint8_t>> out(inbox_.begin(), inbox_.end());
        inbox_.clear();
        return out;
    }

    bool IsOpen()
    {
        std::lock_guard<std::mutex> lock(mutex_);
        return state_ == 1;
    }

    void Close()
    {
        if (!thread_.joinable()) return;
        websocketpp::lib::error_code ec;
        if (IsOpen()) client_.close(hdl_, websocketpp::close::status::normal, "bye", ec);
        client_.stop_perpetual();
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
        client_.stop();
        thread_.join();
    }

    const std::string& Error() const { return error_; }

private:
    void SetState(int s)
    {
        std::lock_guard<std::mutex> lock(mutex_);
        state_ = s;
        cv_.notify_all();
    }

    Client client_;
    websocketpp::connection_hdl hdl_;
    std::thread thread_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::deque<std::vector<uint8_t>> inbox_;
    int state_ = 0;  // 0 connecting, 1 open, -1 failed/closed
    std::string error_;
};
