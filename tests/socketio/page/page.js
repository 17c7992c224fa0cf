// The portal's own snippet, as in rasa-webchat's README: only socketUrl points at 灵灵.
// The test passes the app's address as ?socketUrl=...; the widget keeps its session in sessionStorage.
(function () {
  'use strict';
  var params = new URLSearchParams(window.location.search);
  window.WebChat.default(
    {
      socketUrl: params.get('socketUrl'),
      socketPath: '/socket.io/',
      initPayload: '/greet',
      customData: { language: 'zh' },
      title: '灵灵',
      subtitle: '西海岸新区政务服务中心 数字服务向导',
      inputTextFieldHint: '请输入您要咨询的问题…',
      showMessageDate: false,
      customMessageDelay: function () { return 150; },
      params: { storage: 'session' }
    },
    null
  );
})();
